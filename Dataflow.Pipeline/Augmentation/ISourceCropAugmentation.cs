using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// An augmentation that keeps a region of the image and resizes it: when it is the first entry of
/// <see cref="PipelineOptions.Augmentations"/>, the decode stage applies it to the full-size decoded image,
/// so the image is resized only once (the region, straight to the target size).
/// </summary>
/// <remarks>
/// <para>Fused (first in the list): the decode stage calls <see cref="SelectRegion"/> with the full-size image's
/// size, the target size and a fresh context from <see cref="AugmentationContext.ForSourceCrop"/>, takes that
/// region as a view (no copy) and resizes it to the target with the pipeline's interpolation, instead of applying
/// <see cref="PipelineOptions.ResizeMode"/>. It also asks, before decoding, about both orientations of the header's
/// size, to decode a large JPEG at the largest reduction at which the region still covers the target (the region is
/// then mapped onto the reduced image). So <see cref="SelectRegion"/> must return the same region for the same size
/// and context key: draw only from the context, keep no state. The region depends only on (seed, epoch, sample
/// index), so it is the same at any parallelism.</para>
/// <para>Anywhere else (later in the list, inside <see cref="OneOf"/> or <see cref="RandomApply"/>, or called
/// directly), <see cref="IAugmentation.Apply"/> does the same on the image it receives: it selects a region
/// of it and resizes that back to the image's own size.</para>
/// </remarks>
public interface ISourceCropAugmentation : IAugmentation
{
    /// <summary>Picks the region of a <paramref name="source"/>-sized image to keep; it will be resized to <paramref name="target"/>.</summary>
    /// <param name="source">The size of the image the region is taken from.</param>
    /// <param name="target">The size the region will be resized to.</param>
    /// <param name="context">The sample's context; all randomness comes from its <see cref="AugmentationContext.Random"/>.</param>
    /// <returns>A non-empty rectangle inside (0, 0, source.Width, source.Height).</returns>
    Rect SelectRegion(Size source, Size target, AugmentationContext context);
}
