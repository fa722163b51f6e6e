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
