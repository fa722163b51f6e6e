using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
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
            ScanResult result;
            try
            {
                result = await DatasetScanner.ScanAsync(dataset.Root, dataset.CreateSource(), cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e) when (AnnotationProblems.TryGet(e, out IReadOnlyList<string> problems, out int count))
            {
                // Discovery refuses the dataset: the scan's report is every bad annotation, not only the message's first few.
                WriteProblems(environment, dataset, e.Message, problems, count, parse.GetValue(json));
                return ExitCodes.Failed;
            }

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

        if (result.Targets is TargetSummary targets)
        {
            WriteTargets(console, targets);
        }

        IReadOnlyList<string> bad = result.BadAnnotations;
        console.WriteLine($"bad annotations: {bad.Count}");
        foreach (string problem in bad)
        {
            console.WriteLine("  " + problem);
        }

        console.WriteLine($"ignored entries: {result.Ignored.Count}");
        foreach (var entry in result.Ignored)
        {
            console.WriteLine($"  {dataset.RelativePath(entry.Path)}: {entry.Reason}");
        }
    }

    private static void WriteTargets(IAnsiConsole console, TargetSummary targets)
    {
        console.WriteLine($"targets: {targets.Kinds}");
        if (targets.Boxes is BoxCounts boxes)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"boxes: {boxes.Total}; per image min {boxes.Min}, mean {boxes.Mean:0.##}, max {boxes.Max}; images without boxes (negatives): {boxes.Negatives}"));
        }

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("target class");
        if (targets.Boxes is not null)
        {
            table.AddColumn(new TableColumn("boxes").RightAligned());
        }

        if (targets.LabelImages is not null)
        {
            table.AddColumn(new TableColumn("images with the label").RightAligned());
        }

        if (table.Columns.Count > 1)
        {
            for (int c = 0; c < targets.ClassNames.Count; c++)
            {
                var row = new List<string> { Markup.Escape(targets.ClassNames[c]) };
                if (targets.Boxes is BoxCounts b)
                {
                    row.Add(b.PerClass[c].ToString(CultureInfo.InvariantCulture));
                }

                if (targets.LabelImages is { } labels)
                {
                    row.Add(labels[c].ToString(CultureInfo.InvariantCulture));
                }

                table.AddRow([.. row]);
            }

            console.Write(table);
        }

        if (targets.LabelImages is not null)
        {
            console.WriteLine($"images without a label: {targets.Unlabelled}");
        }

        console.WriteLine($"masks: {targets.SemanticMasks} label maps, {targets.InstanceMasks} instance masks; keypoint instances: {targets.KeypointInstances}");
    }

    private static void WriteProblems(CommandEnvironment environment, DatasetLocation dataset, string message, IReadOnlyList<string> problems, int count, bool json)
    {
        if (json)
        {
            Json.Write(environment.Out, new
            {
                Command = "scan",
                Root = dataset.Root,
                Error = message,
                BadAnnotationCount = count,
                BadAnnotations = problems,
            });
            return;
        }

        environment.Out.WriteLine($"scan of {dataset.DisplayName}: the dataset is refused: {count} bad annotations");
        foreach (string problem in problems)
        {
            environment.Out.WriteLine("  " + problem);
        }

        if (count > problems.Count)
        {
            environment.Out.WriteLine($"  … and {count - problems.Count} more");
        }
    }

    private static object? ToDocument(TargetSummary? targets) => targets is null ? null : new
    {
        Kinds = targets.Kinds.ToString(),
        targets.ClassNames,
        Boxes = targets.Boxes is BoxCounts b ? new
        {
            b.Total,
            PerImage = new { b.Min, b.Mean, b.Max },
            b.Negatives,
            PerClass = targets.ClassNames.Select((name, c) => new { Name = name, Boxes = b.PerClass[c] }).ToArray(),
        } : null,
        Masks = new { LabelMaps = targets.SemanticMasks, Instances = targets.InstanceMasks },
        targets.KeypointInstances,
        Labels = targets.LabelImages is { } labels ? new
        {
            PerClass = targets.ClassNames.Select((name, c) => new { Name = name, Images = labels[c] }).ToArray(),
            targets.Unlabelled,
        } : null,
    };

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
        Targets = ToDocument(result.Targets),
        BadAnnotations = result.BadAnnotations,
        Ignored = result.Ignored.Select(i => new { i.Path, i.Reason }).ToArray(),
    };

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };
}
