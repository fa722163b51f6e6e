using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Targets;
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
/// "label", "className"}]}</c>, with each row's targets when the dataset has them (<c>boxes</c>, <c>classes</c>, <c>keypoints</c>,
/// <c>mask</c>, <c>labels</c> of a multi-label row, <c>text</c>), where <c>batch</c> counts the dumped batches from 0, <c>epoch</c> and <c>row</c> place it in
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
        string? maskValues = null;
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
                        var dumped = new DumpRow(written, batch.Epoch, row, image, batch.Paths[row], label, batch.ClassNames[label]);
                        if (batch.Targets is BatchTargets targets)
                        {
                            maskValues ??= targets.Masks is not null ? "class" : targets.InstanceMasks is not null ? "instance" : null;
                            dumped = await WithTargetsAsync(dumped, targets, row, folder, cancellationToken).ConfigureAwait(false);
                        }

                        rows.Add(dumped);
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
        var document = new DumpListing(settings.Dataset.Root, settings.ToString(), classNames, rows) { MaskValues = maskValues };
        await File.WriteAllTextAsync(listing, JsonSerializer.Serialize(document, ListingOptions) + "\n", cancellationToken).ConfigureAwait(false);
        return new DumpResult(listing, written, rows.Count);
    }

    /// <summary>Adds row <paramref name="row"/>'s targets to its listing entry, writing its masks as PNGs beside its image.</summary>
    private static async Task<DumpRow> WithTargetsAsync(DumpRow dumped, BatchTargets targets, int row, string folder, CancellationToken cancellationToken)
    {
        int count = targets.Counts[row];
        var size = new OpenCvSharp.Size(targets.Width, targets.Height);
        bool hasBoxes = TargetOverlay.HasBoxes(targets);
        float[][]? boxes = null;
        int[]? classes = null;
        Dictionary<string, int[]>? fields = null;
        if (hasBoxes)
        {
            float[] xyxy = TargetOverlay.Xyxy(targets, row);
            boxes = [.. Enumerable.Range(0, count).Select(i => xyxy[(4 * i)..(4 * i + 4)])];
            classes = targets.RowClasses(row).ToArray();
            fields = targets.FieldNames.ToDictionary(name => name, name => targets.Field(name).AsSpan(targets.MaxInstances * row, count).ToArray(), StringComparer.Ordinal);
        }

        float[][][]? keypoints = null;
        if (targets.Keypoints is not null)
        {
            float[] all = targets.RowKeypoints(row).ToArray();
            int k = targets.KeypointCount;
            keypoints = [.. Enumerable.Range(0, count).Select(i => Enumerable.Range(0, k).Select(j => all[(3 * (k * i + j))..(3 * (k * i + j) + 3)]).ToArray())];
        }

        int[]? multiLabels = targets.MultiHot is { } hot
            ? [.. Enumerable.Range(0, targets.ClassCount).Where(c => hot[targets.ClassCount * row + c] != 0)]
            : null;

        string stem = Path.GetFileNameWithoutExtension(dumped.Image);
        string? mask = null, instanceMask = null;
        if (targets.Masks is not null)
        {
            mask = stem + "-mask.png";
            using var labels = new Mat(size.Height, size.Width, MatType.CV_8UC1);
            targets.RowMask(row).CopyTo(labels.AsSpan<byte>());
            await WriteMaskAsync(Path.Combine(folder, mask), labels, cancellationToken).ConfigureAwait(false);
        }

        if (targets.InstanceMasks is not null)
        {
            instanceMask = stem + (mask is null ? "-mask.png" : "-instances.png");
            using var ids = new Mat(size.Height, size.Width, MatType.CV_16UC1);
            InstanceIds(targets, row, ids.AsSpan<ushort>());
            // 8-bit unless the row has more instances than 8 bits hold.
            using var written = new Mat();
            ids.ConvertTo(written, count > byte.MaxValue ? MatType.CV_16UC1 : MatType.CV_8UC1);
            await WriteMaskAsync(Path.Combine(folder, instanceMask), written, cancellationToken).ConfigureAwait(false);
        }

        SampleGeometry geometry = targets.Geometry[row];
        return dumped with
        {
            Boxes = boxes,
            Classes = classes,
            BoxFields = fields is { Count: > 0 } ? fields : null,
            BoxesDropped = hasBoxes ? targets.Dropped[row] : null,
            Keypoints = keypoints,
            Mask = mask ?? instanceMask,
            InstanceMask = mask is null ? null : instanceMask,
            Text = targets.Texts?[row],
            Labels = multiLabels,
            ToSource = new DumpTransform(Matrix(geometry.ToSource), [geometry.Source.Width, geometry.Source.Height], [geometry.Size.Width, geometry.Size.Height], geometry.Mirrored),
            ToTensor = Matrix(geometry.ToTensor),
        };
    }

    /// <summary>Each pixel's instance id: 1 + the index of the last of the row's boxes whose mask covers it, 0 for none.</summary>
    private static void InstanceIds(BatchTargets targets, int row, Span<ushort> plane)
    {
        plane.Clear();
        for (int i = 0; i < targets.Counts[row]; i++)
        {
            ReadOnlySpan<byte> instance = targets.RowInstanceMask(row, i);
            for (int p = 0; p < plane.Length; p++)
            {
                if (instance[p] != 0)
                {
                    plane[p] = (ushort)(i + 1);
                }
            }
        }
    }

    private static Task WriteMaskAsync(string path, Mat mask, CancellationToken cancellationToken)
    {
        Cv2.ImEncode(".png", mask, out byte[] png);
        return File.WriteAllBytesAsync(path, png, cancellationToken);
    }

    private static double[][] Matrix(Affine2D m) => [[m.M11, m.M12, m.M13], [m.M21, m.M22, m.M23]];
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
public sealed record DumpListing(string Dataset, string Settings, IReadOnlyList<string> ClassNames, IReadOnlyList<DumpRow> Rows)
{
    /// <summary>What the values of each row's <see cref="DumpRow.Mask"/> PNG are: <c>class</c> (a semantic mask's class indices) or
    /// <c>instance</c> (1 + the index of the row's box whose mask covers the pixel, 0 for none); null without masks.</summary>
    public string? MaskValues { get; init; }
}

/// <summary>One row of <c>batches.json</c>.</summary>
/// <param name="Batch">The dumped batch it is in, from 0.</param>
/// <param name="Epoch">Its batch's epoch, from 0.</param>
/// <param name="Row">Its row in its batch.</param>
/// <param name="Image">Its PNG's file name in the output folder.</param>
/// <param name="Id">The source sample (its path).</param>
/// <param name="Label">Its class index.</param>
/// <param name="ClassName">Its class's name.</param>
public sealed record DumpRow(int Batch, int Epoch, int Row, string Image, string Id, int? Label, string? ClassName)
{
    /// <summary>The row's boxes, xyxy in the PNG's pixels (continuous: pixel (i, j) spans [i, i+1] × [j, j+1]); null when the dataset has none.</summary>
    public IReadOnlyList<float[]>? Boxes { get; init; }

    /// <summary>Each box's class index (into <see cref="DumpListing.ClassNames"/>).</summary>
    public IReadOnlyList<int>? Classes { get; init; }

    /// <summary>Each box's extra fields by name (COCO's <c>iscrowd</c>).</summary>
    public IReadOnlyDictionary<string, int[]>? BoxFields { get; init; }

    /// <summary>Boxes the keep rules dropped from this row (cut off or too small after the transforms).</summary>
    public int? BoxesDropped { get; init; }

    /// <summary>Per instance (box), its keypoints as (x, y, visibility) in the PNG's pixels; null when the dataset has none.</summary>
    public IReadOnlyList<float[][]>? Keypoints { get; init; }

    /// <summary>The file name of the row's mask PNG, of the PNG's size (values: <see cref="DumpListing.MaskValues"/>).</summary>
    public string? Mask { get; init; }

    /// <summary>With a semantic <see cref="Mask"/>, the file name of the row's instance-id PNG as well.</summary>
    public string? InstanceMask { get; init; }

    /// <summary>The row's text, untouched.</summary>
    public string? Text { get; init; }

    /// <summary>A multi-label dataset's row: its classes (indices into <see cref="DumpListing.ClassNames"/>, ascending), the ones its multi-hot row holds; null for another dataset.</summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>The map from the PNG's pixels back to the source image's.</summary>
    public DumpTransform? ToSource { get; init; }

    /// <summary>The 2×3 map from source pixels to the PNG's (the inverse of <see cref="ToSource"/>'s).</summary>
    public IReadOnlyList<double[]>? ToTensor { get; init; }
}

/// <summary>A row's way back to its source image.</summary>
/// <param name="Matrix">The 2×3 affine matrix [[a, b, c], [d, e, f]]: a PNG point (x, y) is at (a x + b y + c, d x + e y + f) in the
/// source, in continuous pixel coordinates. A box goes back by its four corners, their bounds, clipped to the source.</param>
/// <param name="SourceSize">The source image's [width, height] (as displayed).</param>
/// <param name="Size">The PNG's [width, height].</param>
/// <param name="Mirrored">True when the row is mirrored relative to its source.</param>
public sealed record DumpTransform(IReadOnlyList<double[]> Matrix, IReadOnlyList<int> SourceSize, IReadOnlyList<int> Size, bool Mirrored);
