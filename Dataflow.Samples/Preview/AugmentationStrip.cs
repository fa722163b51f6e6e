using Dataflow.Pipeline;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Commands;
using OpenCvSharp;

namespace Dataflow.Samples.Preview;

/// <summary>
/// Pictures of what augmentations do: one image sent through the real pipeline for several epochs (each epoch
/// draws new parameters for the same sample), the results laid side by side.
/// </summary>
public static class AugmentationStrip
{
    /// <summary>The transforms pictured in <c>docs/augmentation.md</c>, by file name, with parameters that make the effect visible.</summary>
    public static IReadOnlyList<(string Name, IAugmentation Augmentation)> DocsCatalogue { get; } =
    [
        ("horizontal-flip", new RandomHorizontalFlip(0.5)),
        ("vertical-flip", new RandomVerticalFlip(0.5)),
        ("random-crop", new RandomCrop(padding: 24, paddingMode: PaddingMode.Reflect)),
        ("random-resized-crop", new RandomResizedCrop()),
        ("center-crop", new CenterCrop(0.6)),
        ("rotation", new RandomRotation(30)),
        ("affine", new RandomAffine(degrees: (-15, 15), translate: (0.15, 0.15), scale: (0.8, 1.2), shear: (-15, 15))),
        ("color-jitter", new ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.6, hue: 0.1)),
        ("grayscale", new RandomGrayscale(0.5)),
        ("gaussian-blur", new GaussianBlur(9, (0.5, 3))),
        ("erasing", new RandomErasing(p: 1, fill: 127)),
        ("one-of", new OneOf(new RandomRotation(30), new GaussianBlur(9, (2, 3)), new RandomGrayscale(1))),
        ("random-apply", new RandomApply(0.5, new RandomVerticalFlip(1), new ColorJitter(hue: 0.3))),
        ("randaugment", new RandAugment()),
        ("trivialaugment", new TrivialAugmentWide()),
        ("autoaugment", new AutoAugment()),
    ];

    /// <summary>
    /// Decodes <paramref name="image"/> into <paramref name="size"/>×<paramref name="size"/> (centre crop), augments it
    /// <paramref name="count"/> times (epochs 0 to count − 1, seed <paramref name="seed"/>) and returns the results side by
    /// side, 4 white pixels apart, as an 8-bit BGR Mat the caller disposes.
    /// </summary>
    public static async Task<Mat> RenderAsync(byte[] image, IReadOnlyList<IAugmentation> augmentations, int size, int count, long seed,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(augmentations);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        const string Root = "in-memory";
        PipelineOptions options = new PipelineSettings
        {
            Dataset = new DatasetLocation(Root, IsEmbedded: false),
            Size = new ImageSize(size, size),
            Resize = ResizeMode.CenterCrop,
            Color = ColorMode.Bgr,
            Seed = seed,
            BatchSize = 1,
            Epochs = count,
            Augmentations = augmentations,
            Normalization = NormalizationOptions.None,
        }.For(Subset.Training) with
        {
            Layout = TensorLayout.Nhwc,
            Shuffle = false,
            ShuffleWithinBatch = false,
        };
        const int Gap = 4;
        var strip = new Mat(size, count * size + (count - 1) * Gap, MatType.CV_8UC3, Scalar.All(255));
        try
        {
            var source = new InMemorySampleSource(["image"], [("image", 0, image)]);
            await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).BuildStream(cancellationToken);
            pipeline.Post(Root);
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (batch)
                {
                    float[] row = batch.Row(0).ToArray();
                    using Mat pixels = Mat.FromPixelData(size, size, MatType.CV_32FC3, row);
                    using var tile = new Mat(strip, new Rect(batch.Epoch * (size + Gap), 0, size, size));
                    pixels.ConvertTo(tile, MatType.CV_8UC3);
                }
            }

            return strip;
        }
        catch
        {
            strip.Dispose();
            throw;
        }
    }
}
