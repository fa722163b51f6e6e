using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// One image transform in the augment stage. Implementations must be thread-safe (one instance serves
/// every image, in parallel) and draw all randomness from <see cref="AugmentationContext.Random"/>,
/// so that an image's result depends only on (seed, epoch, sample index).
/// </summary>
/// <remarks>
/// Ownership: the pipeline owns <c>image</c>. Return it (changed in place or not), or return a new Mat,
/// in which case the pipeline disposes the input. Any other Mat the implementation creates is its own
/// to dispose. Parameters are validated in the constructor, so a bad value fails when the pipeline is built.
/// </remarks>
public interface IAugmentation
{
    /// <summary>Transforms one 8-bit image (3 channels in the pipeline's colour order, or 1).</summary>
    Mat Apply(Mat image, AugmentationContext context);
}

/// <summary>What an augmentation knows about the image it transforms.</summary>
public sealed class AugmentationContext
{
    /// <summary>Creates a context whose generator is keyed by (<paramref name="seed"/>, <paramref name="epoch"/>, <paramref name="sampleIndex"/>).</summary>
    public AugmentationContext(long seed, int epoch, int sampleIndex)
    {
        Seed = seed;
        Epoch = epoch;
        SampleIndex = sampleIndex;
        Random = new SampleRandom(seed, 0xA06, epoch, sampleIndex);
    }

    /// <summary>The pipeline's seed.</summary>
    public long Seed { get; }

    /// <summary>The epoch, from 0.</summary>
    public int Epoch { get; }

    /// <summary>The sample's index in the discovered dataset.</summary>
    public int SampleIndex { get; }

    /// <summary>This image's own generator: the only source of randomness an augmentation may use.</summary>
    public SampleRandom Random { get; }
}
