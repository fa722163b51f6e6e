using Dataflow.Pipeline.Discovery;
using System.CommandLine;
using System.Globalization;
using Dataflow.Samples.Output;
using Dataflow.Samples.Scan;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>scan</c>: a dataset's health without building batches: classes and counts, bytes, image sizes,
/// formats, duplicate files and every file that cannot be decoded, with the reason.
/// </summary>
public static class ScanCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var data = new DataArguments();
        var json = JsonOption.Create();
        var command = new Command("scan", "Check a dataset without building batches: classes, counts, bytes, sizes, formats, duplicates and undecodable files.")
        {
            json,
        };
        data.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            DatasetLocation dataset = data.Resolve(parse, environment);
            ScanResult result = await DatasetScanner.ScanAsync(dataset.Root, dataset.CreateSource(), cancellationToken).ConfigureAwait(false);

            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, ToDocument(result));
            }
            else
            {
                Write(environment.Console, dataset, result);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, DatasetLocation dataset, ScanResult result)
    {
        long totalBytes = result.Files.Sum(f => f.Bytes);
        console.MarkupLine($"[bold]scan[/] of {Markup.Escape(dataset.DisplayName)}: {result.ClassNames.Count} classes, {result.Files.Count} images, {FormatBytes(totalBytes)}");
        var classes = new Table().Border(TableBorder.Rounded);
        classes.AddColumn("class");
        classes.AddColumn(new TableColumn("images").RightAligned());
        classes.AddColumn(new TableColumn("undecodable").RightAligned());
        classes.AddColumn(new TableColumn("bytes").RightAligned());
        for (int label = 0; label < result.ClassNames.Count; label++)
        {
            var files = result.Files.Where(f => f.Label == label).ToList();
            classes.AddRow(Markup.Escape(result.ClassNames[label]), files.Count.ToString(CultureInfo.InvariantCulture),
                files.Count(f => f.Error is not null).ToString(CultureInfo.InvariantCulture), FormatBytes(files.Sum(f => f.Bytes)));
        }

        console.Write(classes);
        console.WriteLine(result.Sizes is var (min, median, max) ? $"image sizes (WxH, by pixel count): min {min}, median {median}, max {max}" : "image sizes: no file decodes");
        console.WriteLine("formats: " + string.Join(", ", result.Files.GroupBy(f => f.Format).OrderByDescending(g => g.Count()).Select(g => $"{g.Key.ToString().ToLowerInvariant()} {g.Count()}")));
        IReadOnlyList<IReadOnlyList<string>> duplicates = result.Duplicates;
        console.WriteLine($"duplicates (same bytes): {duplicates.Count} groups, {duplicates.Sum(g => g.Count)} files");
        foreach (IReadOnlyList<string> group in duplicates.Take(ReportView.ListLimit))
        {
            console.WriteLine("  " + string.Join("  =  ", group.Select(p => dataset.RelativePath(p))));
        }

        if (duplicates.Count > ReportView.ListLimit)
        {
            console.WriteLine($"  … and {duplicates.Count - ReportView.ListLimit} more groups (--json lists them all)");
        }

        IReadOnlyList<ScannedFile> undecodable = result.Undecodable;
        console.WriteLine($"undecodable: {undecodable.Count}");
        foreach (ScannedFile file in undecodable)
        {
            console.WriteLine($"  {dataset.RelativePath(file.Path)}: {file.Error}");
        }

        console.WriteLine($"ignored entries: {result.Ignored.Count}");
        foreach (var entry in result.Ignored)
        {
            console.WriteLine($"  {dataset.RelativePath(entry.Path)}: {entry.Reason}");
        }
    }

    private static object ToDocument(ScanResult result) => new
    {
        Command = "scan",
        result.Root,
        result.ClassNames,
        Images = result.Files.Count,
        Bytes = result.Files.Sum(f => f.Bytes),
        Classes = result.ClassNames.Select((name, label) => new
        {
            Name = name,
            Images = result.Files.Count(f => f.Label == label),
            Undecodable = result.Files.Count(f => f.Label == label && f.Error is not null),
            Bytes = result.Files.Where(f => f.Label == label).Sum(f => f.Bytes),
        }).ToArray(),
        Sizes = result.Sizes is var (min, median, max) ? new { Min = min, Median = median, Max = max } : null,
        Formats = result.Files.GroupBy(f => f.Format.ToString().ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
        result.Duplicates,
        Undecodable = result.Undecodable.Select(f => new { f.Path, Reason = f.Error }).ToArray(),
        Ignored = result.Ignored.Select(i => new { i.Path, i.Reason }).ToArray(),
    };

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };
}
