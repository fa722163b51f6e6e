using System.CommandLine;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Samples.Output;
using Dataflow.Samples.Preview;
using OpenCvSharp;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>preview</c>: writes a PNG contact sheet of the first augmented, normalised batch as the trainer
/// would see it (de-normalised for display), each tile captioned with its class name; a dataset's targets are drawn over
/// the tiles (boxes with class names, masks as overlays, keypoints with their skeleton: <see cref="TargetOverlay"/>).
/// </summary>
public static class PreviewCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        // A folder is previewed at the library's own size, as a pipeline with default options would batch it.
        var pipeline = new PipelineArguments(defaultEpochs: null, defaultValidationSplit: 0, folderSize: PipelineArguments.LibraryDefaultSize);
        var output = new Option<string>("--out") { Description = "The PNG file to write.", HelpName = "FILE", DefaultValueFactory = _ => "preview.png" };
        var columns = new Option<int>("--columns") { Description = "Tiles per row.", DefaultValueFactory = _ => 8 }.InRange(1, 256);
        var tile = new Option<int>("--tile") { Description = "Pixels of each tile's longer side.", DefaultValueFactory = _ => 96 }.InRange(8, 2048);
        var json = JsonOption.Create();
        var command = new Command("preview", "Write a PNG contact sheet of one augmented, normalised batch as the trainer sees it, each tile captioned with its class.");
        pipeline.AddTo(command);
        foreach (Option option in new Option[] { output, columns, tile, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            PipelineSettings settings = pipeline.Resolve(parse, environment);
            string path = Path.GetFullPath(parse.GetValue(output)!);
            string? folder = Path.GetDirectoryName(path);
            if (folder is not null && !Directory.Exists(folder))
            {
                throw new UsageException($"--out: the folder '{folder}' does not exist.");
            }

            PreviewResult result = await WriteAsync(settings, path, parse.GetValue(columns), parse.GetValue(tile), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new { Command = "preview", Out = path, Dataset = settings.Dataset.Root, Settings = settings.ToString(), result.Width, result.Height, Images = result.Labels.Count, result.Labels, result.Paths });
            }
            else
            {
                environment.Console.MarkupLine($"[bold]preview[/] of {Markup.Escape(settings.Dataset.DisplayName)}");
                environment.Console.MarkupLine(Markup.Escape($"  pipeline: {settings}"));
                environment.Console.MarkupLine(Markup.Escape($"wrote {path} ({result.Width}x{result.Height} px): the first batch of epoch 1, {result.Labels.Count} images"));
                environment.Console.MarkupLine(Markup.Escape("classes: " + string.Join(" ", result.Labels)));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Streams the training subset, takes its first batch and writes it as a contact sheet to <paramref name="path"/>.</summary>
    public static async Task<PreviewResult> WriteAsync(PipelineSettings settings, string path, int columns, int tile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        IReadOnlyList<(int From, int To)> skeleton = (await settings.Dataset.TargetSchemaAsync(cancellationToken).ConfigureAwait(false))?.Skeleton ?? [];
        await using ImagePipeline pipeline = settings.Dataset.Builder(settings.For(Subset.Training, epochs: 1)).BuildStream(cancellationToken);
        pipeline.Post(settings.Dataset.Root);
        pipeline.Complete();
        await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            using (batch)
            using (Mat sheet = ContactSheet.Render(batch, settings.Normalization, settings.Color, columns, tile, skeleton: skeleton))
            {
                Cv2.ImEncode(".png", sheet, out byte[] png);
                await File.WriteAllBytesAsync(path, png, cancellationToken).ConfigureAwait(false);
                return new PreviewResult(sheet.Width, sheet.Height, [.. batch.Labels.Select(l => batch.ClassNames[l])], [.. batch.Paths]);
            }
        }

        // Leaving the loop early cancels the rest of the run; reaching here means no batch at all.
        throw new InvalidDataException($"No image of '{settings.Dataset.Root}' could be decoded: nothing to preview (run scan to see why).");
    }
}

/// <summary>What <c>preview</c> wrote.</summary>
/// <param name="Width">Sheet width in pixels.</param>
/// <param name="Height">Sheet height in pixels.</param>
/// <param name="Labels">Class name per tile, in tile order.</param>
/// <param name="Paths">Source file per tile, in tile order.</param>
public sealed record PreviewResult(int Width, int Height, IReadOnlyList<string> Labels, IReadOnlyList<string> Paths);
