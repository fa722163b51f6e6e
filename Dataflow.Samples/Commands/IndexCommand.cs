using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Output;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>index</c>: writes the index of a class-folder tree (sorted paths, classes, sizes), or of a folder of tar shards
/// written by any tool (classes; per shard: samples, bytes, SHA-256, members), so runs start without listing or scanning it.
/// </summary>
public static class IndexCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var data = new Option<string>("--data") { Description = "Dataset root with one sub-folder per class, or a folder of tar shards (*.tar, *.tar.gz, *.tgz).", HelpName = "DIR", Required = true };
        var output = new Option<string?>("--out") { Description = $"Index file to write. Default: DIR/{FolderIndex.FileName} (DIR/{ShardIndex.FileName} for shards).", HelpName = "FILE" };
        var json = JsonOption.Create();
        var command = new Command("index", "Write the index of a class-folder tree (sorted paths, classes, sizes), or of a folder of tar shards from any tool (classes; per shard: samples, bytes, SHA-256, members): runs given it start without listing the tree or scanning the shards.")
        {
            data, output, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await RefuseOtherFormsAsync(parse.GetValue(data)!, cancellationToken).ConfigureAwait(false);
            string root = FolderOption.Require(parse.GetValue(data)!, "--data");
            if (Directory.EnumerateFiles(root).Any(ShardIndex.IsShardFileName))
            {
                return await IndexShardsAsync(environment, root, parse.GetValue(output), parse.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            string file = OutputFile.Check(parse.GetValue(output) ?? Path.Combine(root, FolderIndex.FileName), "--out");
            FolderIndex index = FolderIndex.Create(root, cancellationToken: cancellationToken);
            OutputFile.Write(file, "--out", index.Save);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new IndexData(root, file, index.Files.Count, index.Classes.Count, index.Files.Sum(f => f.Size)));
                return ExitCodes.Success;
            }

            environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"indexed {index.Files.Count} files of {index.Classes.Count} classes ({index.Files.Sum(f => f.Size)} bytes) under {root} into {file}"));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Refuses, in one line naming the forms indexed, a location of a form that has no index: Parquet (its footers already
    /// count each row group's rows), TFRecord, and the annotated forms (their annotation files list the samples). A location
    /// detection cannot place is left to the folder index, whose errors name what is missing.
    /// </summary>
    private static async Task RefuseOtherFormsAsync(string location, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(location);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            return;
        }

        DatasetSource found;
        try
        {
            found = await DatasetSources.DetectAsync(full, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return;
        }

        if (found.Form is not (DatasetForm.ClassFolders or DatasetForm.Shards))
        {
            throw new UsageException($"--data: {found.Description} has no index: index writes the index of class folders or of a folder of tar shards only; the other forms are read without one.");
        }
    }

    /// <summary>Indexes a folder of shards (by any tool): scans and hashes each, writes the shard index beside them.</summary>
    private static async Task<int> IndexShardsAsync(CommandEnvironment environment, string root, string? output, bool json, CancellationToken cancellationToken)
    {
        string file = OutputFile.Check(output ?? Path.Combine(root, ShardIndex.FileName), "--out");
        (ShardIndex index, IReadOnlyList<Dataflow.Pipeline.Discovery.IgnoredEntry> ignored) = await ShardIndex.CreateAsync(root, cancellationToken: cancellationToken).ConfigureAwait(false);
        OutputFile.Write(file, "--out", index.Save);
        int samples = index.Shards.Sum(s => s.Samples);
        long bytes = index.Shards.Sum(s => s.Bytes);
        if (json)
        {
            Json.Write(environment.Out, new ShardIndexData(root, file, index.Shards.Count, samples, index.Classes.Count, bytes, [.. ignored.Select(i => $"{i.Path}: {i.Reason}")]));
            return ExitCodes.Success;
        }

        environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"indexed {samples} samples of {index.Classes.Count} classes in {index.Shards.Count} shards ({bytes} bytes) under {root} into {file}"));
        foreach (var entry in ignored)
        {
            environment.Out.WriteLine($"  not indexed: {entry.Path}: {entry.Reason}");
        }

        return ExitCodes.Success;
    }

    private sealed record IndexData(string Root, string Index, int Files, int Classes, long Bytes);

    private sealed record ShardIndexData(string Root, string Index, int Shards, int Samples, int Classes, long Bytes, string[] Ignored);
}
