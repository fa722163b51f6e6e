using System.CommandLine;
using System.Globalization;
using Dataflow.Samples.Checkpoints;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>checkpoints</c>: lists the checkpoint files of a folder by the validation loss in their names
/// (Keras' <c>weights.{epoch:02d}-{val_loss:.2f}.hdf5</c> by default) and names the best one.
/// </summary>
public static class CheckpointsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var dir = new Option<string>("--dir") { Description = "The folder of checkpoint files.", HelpName = "DIR", Required = true };
        var pattern = new Option<string>("--pattern")
        {
            Description = "A regular expression for checkpoint names with a (?<loss>…) group and optionally an (?<epoch>…) group.",
            DefaultValueFactory = _ => CheckpointScanner.DefaultPattern,
        };
        var json = JsonOption.Create();
        var command = new Command("checkpoints", "List checkpoint files sorted by the validation loss in their names, and name the best.")
        {
            dir, pattern, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = FolderOption.Require(parse.GetValue(dir)!, "--dir");
            CheckpointScanner scanner;
            try
            {
                scanner = new CheckpointScanner(parse.GetValue(pattern)!);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message.Split(" (Parameter")[0], e);
            }

            CheckpointListing listing = await scanner.ScanAsync(folder, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new
                {
                    Command = "checkpoints",
                    Dir = folder,
                    Pattern = parse.GetValue(pattern),
                    listing.Checkpoints,
                    listing.Best,
                    listing.Ignored,
                });
                return ExitCodes.Success;
            }

            Write(environment.Console, folder, listing);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, string folder, CheckpointListing listing)
    {
        console.MarkupLine($"[bold]checkpoints[/] in {Markup.Escape(folder)}: {listing.Checkpoints.Count} matching, {listing.Ignored.Count} ignored");
        if (listing.Checkpoints.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded);
            table.AddColumn(new TableColumn("rank").RightAligned());
            table.AddColumn("file");
            table.AddColumn(new TableColumn("epoch").RightAligned());
            table.AddColumn(new TableColumn("val_loss").RightAligned());
            for (int i = 0; i < listing.Checkpoints.Count; i++)
            {
                Checkpoint c = listing.Checkpoints[i];
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(c.Name),
                    c.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "-", c.Loss.ToString("0.00##", CultureInfo.InvariantCulture));
            }

            console.Write(table);
        }

        foreach (IgnoredName name in listing.Ignored)
        {
            console.MarkupLine($"  ignored {Markup.Escape(name.Name)}: {Markup.Escape(name.Reason)}");
        }

        console.MarkupLine(listing.Best is Checkpoint best
            ? $"best: [bold green]{Markup.Escape(best.Name)}[/] (val_loss {best.Loss.ToString("0.00##", CultureInfo.InvariantCulture)}{(best.Epoch is int e ? $", epoch {e}" : "")})"
            : "no checkpoint name matches the pattern");
    }
}
