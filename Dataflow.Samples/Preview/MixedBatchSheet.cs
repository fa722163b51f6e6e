using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Commands;
using OpenCvSharp;

namespace Dataflow.Samples.Preview;

/// <summary>
/// A picture of a batch-level augmentation: the first batch of a dataset as the pipeline delivers it without the
/// augmentation (top row, captioned with each row's class) and with it (bottom row, captioned with the soft labels).
/// </summary>
public static class MixedBatchSheet
{
    /// <summary>Rows in the pictured batch.</summary>
    public const int Rows = 8;

    /// <summary>
    /// Streams the first <see cref="Rows"/>-row batch of <paramref name="root"/> at <paramref name="size"/>×<paramref name="size"/>
    /// through the real pipeline twice (seed <paramref name="seed"/>), without and with <paramref name="mix"/>, and returns
    /// the two contact sheets one above the other as an 8-bit BGR Mat the caller disposes, with the mixed first row's label.
    /// </summary>
    public static Task<(Mat Sheet, string FirstLabel)> RenderAsync(string root, IBatchAugmentation mix, int size, int tile, long seed,
        CancellationToken cancellationToken = default) =>
        RenderAsync(root, ImagePipeline.CreateBuilder, mix, size, tile, seed, cancellationToken);

    /// <summary>As <see cref="RenderAsync(string, IBatchAugmentation, int, int, long, CancellationToken)"/>, each pipeline built by <paramref name="builder"/> (which picks the dataset's source).</summary>
    public static async Task<(Mat Sheet, string FirstLabel)> RenderAsync(string root, Func<PipelineOptions, ImagePipelineBuilder> builder, IBatchAugmentation mix, int size, int tile, long seed,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(mix);
        using Mat plain = (await RenderBatchAsync(root, builder, [], size, tile, seed, cancellationToken).ConfigureAwait(false)).Sheet;
        (Mat mixed, string label) = await RenderBatchAsync(root, builder, [mix], size, tile, seed, cancellationToken).ConfigureAwait(false);
        using (mixed)
        {
            var both = new Mat();
            Cv2.VConcat([plain, mixed], both);
            return (both, label);
        }
    }

    /// <summary>A row's label as a caption: its own class with its weight, then the other class with weight (e.g. "3 .62 7 .38").</summary>
    public static string SoftLabel(Batch batch, int row)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int classes = batch.ClassNames.Count;
        ReadOnlySpan<float> target = batch.OneHot.AsSpan(row * classes, classes);
        var parts = new List<(float Weight, int Class)>();
        for (int c = 0; c < classes; c++)
        {
            if (target[c] >= 0.005f)
            {
                parts.Add((target[c], c));
            }
        }

        return string.Join(' ', parts.OrderByDescending(p => p.Weight)
            .Select(p => p.Weight >= 0.995f ? batch.ClassNames[p.Class] : string.Create(CultureInfo.InvariantCulture, $"{batch.ClassNames[p.Class]} {p.Weight:.00}")));
    }

    private static async Task<(Mat Sheet, string FirstLabel)> RenderBatchAsync(string root, Func<PipelineOptions, ImagePipelineBuilder> builder, IReadOnlyList<IBatchAugmentation> mixing, int size, int tile, long seed, CancellationToken cancellationToken)
    {
        PipelineOptions options = new PipelineSettings
        {
            Dataset = new DatasetLocation(root, IsEmbedded: false),
            Size = new ImageSize(size, size),
            Color = ColorMode.Bgr,
            Seed = seed,
            BatchSize = Rows,
            Normalization = NormalizationOptions.ZeroToOne,
            BatchAugmentations = mixing,
        }.For(Subset.Training);
        await using ImagePipeline pipeline = builder(options).BuildStream(cancellationToken);
        pipeline.Post(root);
        pipeline.Complete();
        Mat? sheet = null;
        string label = "";
        await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            using (batch)
            {
                if (sheet is null)
                {
                    sheet = ContactSheet.Render(batch, options.Normalization, options.ColorMode, Rows, tile, mixing.Count == 0 ? null : SoftLabel);
                    label = SoftLabel(batch, 0);
                }
            }
        }

        return (sheet ?? throw new InvalidDataException($"No image of '{root}' could be batched."), label);
    }
}
