using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Output;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>pack</c>: class folders, or a detection dataset with its boxes (a <c>json</c> member per sample), into tar shards
/// (WebDataset layout) of a target size with a <c>dataset-index.json</c> beside them; the same input gives the same bytes.
/// </summary>
public static class PackCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var data = new Option<string?>("--data") { Description = "Dataset root with one sub-folder per class, or a COCO, YOLO or VOC detection dataset (its boxes are packed too). Default: the embedded handwritten digits.", HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "Folder to write the shards and the index into (created; must hold no shards yet).", HelpName = "DIR", Required = true };
        var shardBytes = new Option<long>("--shard-bytes") { Description = "Target shard size in bytes.", DefaultValueFactory = _ => new PackOptions().TargetShardBytes, HelpName = "BYTES" }
            .Require<Option<long>, long>(v => v >= 4096, "must be at least 4096");
        var seed = new Option<int?>("--shuffle-seed") { Description = "Shuffle the samples across shards from this seed (default: class-sorted order).", HelpName = "N" };
        var json = JsonOption.Create();
        var command = new Command("pack", "Pack class folders, or a COCO, YOLO or VOC dataset with its boxes, into tar shards of a target size, with an index (classes; per shard: samples, bytes, SHA-256).")
        {
            data, output, shardBytes, seed, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            DatasetLocation dataset = DatasetLocation.Resolve(parse.GetValue(data), environment);
            // A detection dataset of local image files is packed with its boxes.
            bool detection = dataset.Detected is { IsRemote: false, Form: DatasetForm.Coco or DatasetForm.Yolo or DatasetForm.Voc };
            if (!dataset.IsLocalFolder && !detection)
            {
                throw new UsageException($"--data: pack reads a folder of class folders or a detection dataset (COCO, YOLO, VOC) on local disk; '{dataset.Root}' is {dataset.Detected?.Description ?? dataset.Root}.");
            }

            int? shuffleSeed = parse.GetValue(seed);
            var options = new PackOptions { TargetShardBytes = parse.GetValue(shardBytes), Shuffle = shuffleSeed is not null, Seed = shuffleSeed ?? 0 };
            string outFolder = Path.GetFullPath(parse.GetValue(output)!);
            ShardIndex index = detection
                ? ShardWriter.PackDataset(dataset.CreateSource(), [dataset.Root], outFolder, options, cancellationToken)
                : ShardWriter.Pack([dataset.Root], outFolder, options, cancellationToken);
            long bytes = index.Shards.Sum(s => s.Bytes);
            string indexFile = Path.Combine(outFolder, ShardIndex.FileName);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new PackData(dataset.DisplayName, outFolder, indexFile, index.Shards.Sum(s => s.Samples), index.Classes.Count, bytes,
                    [.. index.Shards.Select(s => new ShardData(Path.Combine(outFolder, s.Name), s.Samples, s.Bytes, s.Sha256))]));
                return Task.FromResult(ExitCodes.Success);
            }

            environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"packed {index.Shards.Sum(s => s.Samples)} samples of {index.Classes.Count} classes from {dataset.DisplayName} into {index.Shards.Count} shards ({bytes} bytes) in {outFolder}"));
            environment.Out.WriteLine($"index: {indexFile}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private sealed record PackData(string Dataset, string Folder, string Index, int Samples, int Classes, long Bytes, IReadOnlyList<ShardData> Shards);

    private sealed record ShardData(string File, int Samples, long Bytes, string Sha256);
}
