using System.Globalization;
using Dataflow.Pipeline;
using Spectre.Console;

namespace Dataflow.Samples.Output;

/// <summary>Renders a <see cref="PipelineReport"/> as a table, and as a JSON-friendly record.</summary>
public static class ReportView
{
    /// <summary>Skipped files and ignored entries listed in full before "and N more".</summary>
    public const int ListLimit = 10;

    /// <summary>A table with one column per named report (for example training and validation).</summary>
    public static Table Table(params (string Name, PipelineReport? Report)[] reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var present = reports.Where(r => r.Report is not null).Select(r => (r.Name, Report: r.Report!)).ToList();
        var table = new Table().Border(TableBorder.Rounded).Title("pipeline report");
        table.AddColumn("");
        foreach (var (name, _) in present)
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        void Row(string label, Func<PipelineReport, object> value) =>
            table.AddRow([label, .. present.Select(p => Markup.Escape(Convert.ToString(value(p.Report), CultureInfo.InvariantCulture) ?? ""))]);

        Row("classes", r => r.ClassNames.Count);
        Row("images discovered", r => r.Discovered);
        Row("images in subset", r => r.Selected);
        Row("epochs", r => r.Epochs);
        Row("images batched", r => r.Batched);
        Row("batches", r => r.Batches);
        Row("skipped", r => r.Skipped.Count);
        Row("dropped (short last batch)", r => r.DroppedLast);
        Row("ignored entries", r => r.Ignored.Count);
        Row("counts add up", r => r.CountsAddUp ? "yes" : "NO");
        if (present.Any(p => p.Report.Placement.WorldSize > 1))
        {
            Row("rank (this process's part)", r => r.Placement.ToString());
        }

        foreach (string stage in present.SelectMany(p => p.Report.StageTime.Where(kv => kv.Value > TimeSpan.Zero).Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal))
        {
            Row($"{stage} busy time", r => r.StageTime.TryGetValue(stage, out TimeSpan t) ? $"{t.TotalSeconds:0.00} s" : "-");
        }

        return table;
    }

    /// <summary>Writes the table, then every skipped file and ignored entry with its reason (the first <see cref="ListLimit"/> of each).</summary>
    public static void Write(IAnsiConsole console, params (string Name, PipelineReport? Report)[] reports)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Write(Table(reports));
        foreach (var (name, report) in reports)
        {
            if (report is null)
            {
                continue;
            }

            console.MarkupLine($"[grey]{Markup.Escape(name)} graph:[/] {Markup.Escape(report.Graph)}");
            WriteList(console, $"{name}: skipped", report.Skipped.Select(s => $"{s.Path} (epoch {s.Epoch + 1}, {s.Stage}): {s.Reason}").Distinct().ToList());
        }

        // Both pipelines discover the same folder: list its ignored entries once.
        PipelineReport? first = reports.Select(r => r.Report).FirstOrDefault(r => r is not null);
        if (first?.UnreadLauncherVariables is string unread)
        {
            console.MarkupLine($"[yellow]launcher variables not read[/] ({Markup.Escape(unread)}): this process read every sample; --launcher takes the rank and world size from them");
        }

        if (first is not null)
        {
            WriteList(console, "ignored", first.Ignored.Select(i => $"{i.Path}: {i.Reason}").ToList());
        }
    }

    /// <summary>The report as plain data for JSON.</summary>
    public static ReportData Data(PipelineReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new ReportData(report.ClassNames, report.Discovered, report.Selected, report.Epochs, report.Batched, report.Batches,
            report.DroppedLast, report.CountsAddUp, report.DiscoveredPerClass, report.BatchedPerClass,
            [.. report.Skipped.Select(s => new SkippedData(s.Path, s.Epoch + 1, s.Stage, s.Reason))],
            [.. report.Ignored.Select(i => new IgnoredData(i.Path, i.Reason))],
            report.StageTime.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value.TotalSeconds, 4), StringComparer.Ordinal),
            report.Placement.Rank, report.Placement.WorldSize, report.Placement.Source, report.UnreadLauncherVariables, report.Graph);
    }

    private static void WriteList(IAnsiConsole console, string title, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        console.MarkupLine($"[yellow]{Markup.Escape(title)}[/] ({lines.Count}):");
        foreach (string line in lines.Take(ListLimit))
        {
            console.MarkupLine($"  {Markup.Escape(line)}");
        }

        if (lines.Count > ListLimit)
        {
            console.MarkupLine($"  … and {lines.Count - ListLimit} more (--json lists them all)");
        }
    }
}

/// <summary>A pipeline report as plain data.</summary>
public sealed record ReportData(IReadOnlyList<string> ClassNames, int Discovered, int Selected, int Epochs, long Batched, long Batches,
    long DroppedLast, bool CountsAddUp, IReadOnlyList<int> DiscoveredPerClass, IReadOnlyList<long> BatchedPerClass,
    IReadOnlyList<SkippedData> Skipped, IReadOnlyList<IgnoredData> Ignored, IReadOnlyDictionary<string, double> StageSeconds,
    int Rank = 0, int WorldSize = 1, string RankSource = "default", string? UnreadLauncherVariables = null, string Graph = "");

/// <summary>A skipped sample as plain data.</summary>
public sealed record SkippedData(string Path, int Epoch, string Stage, string Reason);

/// <summary>An ignored entry as plain data.</summary>
public sealed record IgnoredData(string Path, string Reason);
