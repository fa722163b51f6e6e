using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Output;

namespace Dataflow.Samples.Commands;

/// <summary><c>index</c>: writes the index of a class-folder tree (sorted paths, classes, sizes) so runs start without listing it.</summary>
public static class IndexCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var data = new Option<string>("--data") { Description = "Dataset root with one sub-folder per class.", HelpName = "DIR", Required = true };
        var output = new Option<string?>("--out") { Description = $"Index file to write. Default: DIR/{FolderIndex.FileName}.", HelpName = "FILE" };
        var json = JsonOption.Create();
        var command = new Command("index", "Write the index of a class-folder tree (sorted paths, classes, sizes): runs given it start without listing the tree.")
        {
            data, output, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            string root = FolderOption.Require(parse.GetValue(data)!, "--data");
            string file = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(root, FolderIndex.FileName));
            FolderIndex index = FolderIndex.Create(root, cancellationToken: cancellationToken);
            string temporary = file + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                index.Save(stream);
            }

            File.Move(temporary, file, overwrite: true);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new IndexData(root, file, index.Files.Count, index.Classes.Count, index.Files.Sum(f => f.Size)));
                return Task.FromResult(ExitCodes.Success);
            }

            environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"indexed {index.Files.Count} files of {index.Classes.Count} classes ({index.Files.Sum(f => f.Size)} bytes) under {root} into {file}"));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private sealed record IndexData(string Root, string Index, int Files, int Classes, long Bytes);
}
