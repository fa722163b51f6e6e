using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Samples.Output;
using Dataflow.Samples.Preview;
using OpenCvSharp;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>dump</c>: writes the first batches of the training subset as they reach the trainer, with the options of <c>train</c>:
/// each row as a PNG of its tensor (de-normalised, RGB) and <c>batches.json</c> listing every row.
/// </summary>
/// <remarks>
/// The rows are the ones <c>train</c> with the same options batches first (the same split, order, augmentation and
/// seed). <c>batches.json</c>: <c>{"dataset", "settings", "classNames", "rows": [{"batch", "epoch", "row", "image", "id",
/// "label", "className"}]}</c>, where <c>batch</c> counts the dumped batches from 0, <c>epoch</c> and <c>row</c> place it in
/// the run, <c>image</c> is the PNG's file name in the folder and <c>id</c> the source sample (its path).
/// </remarks>
public static class DumpCommand
{
    /// <summary>The listing's file name in the output folder.</summary>
    public const string ListingName = "batches.json";

    private static readonly JsonSerializerOptions ListingOptions = new(Json.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        // train's options and defaults: the rows dumped are the rows train would batch.
        var pipeline = new PipelineArguments(defaultEpochs: null);
        var batches = new Option<int>("--batches") { Description = "Batches to write.", DefaultValueFactory = _ => 1 }.InRange(1, 100_000);
        var output = new Option<string>("--out") { Description = "The folder to write the PNGs and batches.json into (made if absent; its parent must exist).", HelpName = "DIR", Required = true };
        var json = JsonOption.Create();
        var command = new Command("dump", "Write batches as the trainer sees them: each row as a PNG of its tensor (de-normalised) and batches.json listing each row's image, id and label.");
        pipeline.AddTo(command);
        foreach (Option option in new Option[] { batches, output, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            string? parent = Path.GetDirectoryName(folder);
            if (File.Exists(folder))
            {
                throw new UsageException($"--out: '{folder}' is a file, not a folder.");
            }

            if (parent is not null && !Directory.Exists(parent))
            {
                throw new UsageException($"--out: the folder '{parent}' does not exist.");
            }

            PipelineSettings settings = pipeline.Resolve(parse, environment);
            DumpResult result = await WriteAsync(settings, folder, parse.GetValue(batches), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new { Command = "dump", Out = folder, Listing = result.Listing, Dataset = settings.Dataset.Root, Settings = settings.ToString(), result.Batches, result.Rows });
            }
            else
            {
                environment.Console.MarkupLine($"[bold]dump[/] of {Markup.Escape(settings.Dataset.DisplayName)}");
                environment.Console.MarkupLine(Markup.Escape($"  pipeline: {settings}"));
                environment.Console.MarkupLine(Markup.Escape($"wrote {result.Rows} rows of {result.Batches} batches into {folder}, listed in {result.Listing}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Runs the training subset's pipeline and writes its first <paramref name="batches"/> batches into <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">No batch could be made (no image decodes).</exception>
    public static async Task<DumpResult> WriteAsync(PipelineSettings settings, string folder, int batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batches);
        Directory.CreateDirectory(folder);
        var rows = new List<DumpRow>();
        IReadOnlyList<string> classNames = [];
        int written = 0;
        // Enough epochs for the batches asked for: every epoch has at least one batch.
        await using (ImagePipeline pipeline = settings.Dataset.Builder(settings.For(Subset.Training, epochs: Math.Max(settings.Epochs, batches))).BuildStream(cancellationToken))
        {
            pipeline.Post(settings.Dataset.Root);
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (batch)
                {
                    classNames = batch.ClassNames;
                    for (int row = 0; row < batch.Count; row++)
                    {
                        string image = $"batch{written:D4}-row{row:D3}.png";
                        using (Mat pixels = ContactSheet.Denormalize(batch.Row(row), batch.Shape[1], batch.Shape[2], batch.Shape[3], settings.Normalization, settings.Color))
                        {
                            Cv2.ImEncode(".png", pixels, out byte[] png);
                            await File.WriteAllBytesAsync(Path.Combine(folder, image), png, cancellationToken).ConfigureAwait(false);
                        }

                        int label = batch.Labels[row];
                        rows.Add(new DumpRow(written, batch.Epoch, row, image, batch.Paths[row], label, batch.ClassNames[label]));
                    }
                }

                if (++written == batches)
                {
                    // Leaving the loop cancels the rest of the run.
                    break;
                }
            }
        }

        if (written == 0)
        {
            throw new InvalidDataException($"No image of '{settings.Dataset.Root}' could be decoded: nothing to dump (run scan to see why).");
        }

        string listing = Path.Combine(folder, ListingName);
        var document = new DumpListing(settings.Dataset.Root, settings.ToString(), classNames, rows);
        await File.WriteAllTextAsync(listing, JsonSerializer.Serialize(document, ListingOptions) + "\n", cancellationToken).ConfigureAwait(false);
        return new DumpResult(listing, written, rows.Count);
    }
}

/// <summary>What <c>dump</c> wrote.</summary>
/// <param name="Listing">The full path of <c>batches.json</c>.</param>
/// <param name="Batches">Batches written.</param>
/// <param name="Rows">Rows written (one PNG each).</param>
public sealed record DumpResult(string Listing, int Batches, int Rows);

/// <summary>The document of <c>batches.json</c>.</summary>
/// <param name="Dataset">The dataset's root.</param>
/// <param name="Settings">The pipeline's settings, as the report names them.</param>
/// <param name="ClassNames">The class names, by label.</param>
/// <param name="Rows">Every row written, batch after batch.</param>
public sealed record DumpListing(string Dataset, string Settings, IReadOnlyList<string> ClassNames, IReadOnlyList<DumpRow> Rows);

/// <summary>One row of <c>batches.json</c>.</summary>
/// <param name="Batch">The dumped batch it is in, from 0.</param>
/// <param name="Epoch">Its batch's epoch, from 0.</param>
/// <param name="Row">Its row in its batch.</param>
/// <param name="Image">Its PNG's file name in the output folder.</param>
/// <param name="Id">The source sample (its path).</param>
/// <param name="Label">Its class index.</param>
/// <param name="ClassName">Its class's name.</param>
public sealed record DumpRow(int Batch, int Epoch, int Row, string Image, string Id, int? Label, string? ClassName);
