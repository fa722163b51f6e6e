using System.CommandLine;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Samples.Data;
using Dataflow.Samples.Output;
using Dataflow.Samples.Preview;
using OpenCvSharp;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The <c>augment-preview</c> command: writes the pictures of <c>docs/augmentation.md</c>, one PNG strip per
/// transform (the same image augmented for several epochs through the real pipeline; one picture for the
/// deterministic centre crop) and the un-augmented source; and, for the batch-level augmentations, the first batch of a
/// dataset (<c>--data</c>, the embedded digits by default) without and with MixUp and CutMix. With no <c>--image</c> the
/// source is the embedded picture of <c>docs/augmentation.md</c>; with no <c>--out</c> the pictures go into a new
/// temporary folder, which the first line of output names.
/// </summary>
public static class AugmentPreviewCommand
{
    /// <summary>The batch-level augmentations pictured in <c>docs/augmentation.md</c>, by file name.</summary>
    public static IReadOnlyList<(string Name, IBatchAugmentation Mix)> MixedBatches { get; } =
    [
        ("mixup", new MixUp(alpha: 1.0)),
        ("cutmix", new CutMix(alpha: 1.0)),
    ];

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var image = new Option<string?>("--image") { Description = "The source image. Default: the picture of docs/augmentation.md (OpenCV's fruits.jpg), embedded in the app.", HelpName = "FILE" };
        var output = new Option<string?>("--out") { Description = "Folder for the PNGs (created when missing). Default: a new temporary folder, named in the output.", HelpName = "DIR" };
        var size = new Option<int>("--size") { Description = "Side of each picture in pixels.", DefaultValueFactory = _ => 128 };
        var count = new Option<int>("--count") { Description = "Pictures per transform (epochs).", DefaultValueFactory = _ => 4 };
        var seed = new Option<long>("--seed") { Description = "The pipeline's seed.", DefaultValueFactory = _ => 0 };
        var batchSeed = new Option<long>("--batch-seed")
        {
            Description = "The pipeline's seed for the mixed-batch pictures (4: lambdas of about 2/3 in the first batch, so the mixing shows).",
            DefaultValueFactory = _ => 4,
        };
        // The mixed-batch pictures (MixUp, CutMix) read any dataset form; the embedded handwritten digits by default.
        var data = new DataArguments();
        var json = JsonOption.Create();
        size.InRange(16, 1024);
        count.InRange(1, 16);
        var command = new Command("augment-preview", "Write a picture of every built-in augmentation's effect on one image (the pictures of docs/augmentation.md).")
        {
            image, output, size, count, seed, batchSeed, json,
        };
        data.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            byte[] bytes;
            if (parse.GetValue(image) is string path)
            {
                if (!File.Exists(path))
                {
                    throw new UsageException($"--image: the file '{path}' does not exist.");
                }

                bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
            }
            else
            {
                bytes = ReadEmbeddedSource();
            }

            string folder = parse.GetValue(output) is string named
                ? Path.GetFullPath(named)
                : Directory.CreateTempSubdirectory("dataflow-augment-preview-").FullName;
            Directory.CreateDirectory(folder);
            bool asJson = parse.GetValue(json);
            if (!asJson)
            {
                environment.Out.WriteLine($"writing the pictures into {folder}");
            }

            var written = new List<PictureData>();
            int side = parse.GetValue(size);
            IEnumerable<(string Name, IReadOnlyList<IAugmentation> List, int Count)> pictures =
                [("source", [], 1), .. AugmentationStrip.DocsCatalogue.Select(e => (e.Name, (IReadOnlyList<IAugmentation>)[e.Augmentation], e.Augmentation is CenterCrop ? 1 : parse.GetValue(count)))];
            foreach (var (name, list, n) in pictures)
            {
                using Mat strip = await AugmentationStrip.RenderAsync(bytes, list, side, n, parse.GetValue(seed), ct).ConfigureAwait(false);
                string file = Path.Combine(folder, name + ".png");
                Cv2.ImWrite(file, strip, [(int)ImwriteFlags.PngCompression, 9]);
                written.Add(new PictureData(file, list.Count == 0 ? "source" : list[0].ToString()!));
                if (!asJson)
                {
                    environment.Out.WriteLine($"{file}  {written[^1].Transform}");
                }
            }

            DatasetLocation dataset = data.Resolve(parse, environment);
            int batchSide = dataset.IsEmbedded ? EmbeddedDigits.CellSize : 64;
            foreach (var (name, mix) in MixedBatches)
            {
                (Mat sheet, string firstLabel) = await MixedBatchSheet.RenderAsync(dataset.Root, dataset.Builder, mix, batchSide, 96, parse.GetValue(batchSeed), ct).ConfigureAwait(false);
                using (sheet)
                {
                    string file = Path.Combine(folder, name + ".png");
                    Cv2.ImWrite(file, sheet, [(int)ImwriteFlags.PngCompression, 9]);
                    written.Add(new PictureData(file, $"{mix}, first row {firstLabel}"));
                    if (!asJson)
                    {
                        environment.Out.WriteLine($"{file}  {written[^1].Transform}");
                    }
                }
            }

            if (asJson)
            {
                Json.Write(environment.Out, new PreviewData(folder, written));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private const string EmbeddedSourceName = "Dataflow.Samples.Data.fruits.jpg";

    private static byte[] ReadEmbeddedSource()
    {
        using Stream stream = typeof(AugmentPreviewCommand).Assembly.GetManifestResourceStream(EmbeddedSourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{EmbeddedSourceName}' is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed record PreviewData(string Folder, IReadOnlyList<PictureData> Pictures);

    private sealed record PictureData(string File, string Transform);
}
