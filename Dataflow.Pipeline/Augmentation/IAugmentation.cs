using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// One image transform in the augment stage. Implementations must be thread-safe (one instance serves
/// every image, in parallel) and draw all randomness from <see cref="AugmentationContext.Random"/>,
/// so that an image's result depends only on (seed, epoch, sample index).
/// </summary>
/// <remarks>
/// <para>Ownership: the pipeline owns <c>image</c>. Return it (changed in place or not), or return a new Mat,
/// in which case the pipeline disposes the input. Any other Mat the implementation creates is its own
/// to dispose. Parameters are validated in the constructor, so a bad value fails when the pipeline is built.</para>
/// <para>Two contracts are declared with default members, so an implementation that says nothing is safe:
/// <see cref="HandlesAnyChannelOrder"/> (false: the image always arrives in the pipeline's
/// <see cref="PipelineOptions.ColorMode"/>) and <see cref="OutputSize"/> (null: the size is checked on each image,
/// not when the pipeline is built).</para>
/// </remarks>
public interface IAugmentation
{
    /// <summary>Transforms one 8-bit image: 1 channel, or 3 in the order <see cref="AugmentationContext.ColorMode"/> gives.</summary>
    Mat Apply(Mat image, AugmentationContext context);

    /// <summary>
    /// True when <see cref="Apply"/> is correct for 3-channel images in either RGB or BGR order, taking the order from
    /// <see cref="AugmentationContext.ColorMode"/> (or not depending on it, as a flip or a crop).
    /// </summary>
    /// <remarks>
    /// When every augmentation of a pipeline declares it, the pipeline may hand them BGR images while it promises RGB
    /// (it then swaps red and blue as it writes the tensor, which saves a conversion per image), and tells them so through
    /// the context. When any augmentation does not, every augmentation sees the pipeline's own colour mode.
    /// </remarks>
    /// <value>False unless the implementation declares it; true for the library's transforms, and for
    /// <see cref="OneOf"/> and <see cref="RandomApply"/> when all their transforms are.</value>
    bool HandlesAnyChannelOrder => false;

    /// <summary>
    /// The size of the images <see cref="Apply"/> returns for an input of size <paramref name="input"/>, or null when it is not
    /// declared (then only each image is checked). When the size may differ between images (a combinator whose transforms
    /// disagree), one of the sizes that differ from <paramref name="input"/>.
    /// </summary>
    /// <remarks>The pipeline walks its list from the target size when it is built and refuses a list whose last declared size
    /// is not the target (<see cref="RandomCrop"/> of 24 with a 32×32 target), naming the transform.</remarks>
    /// <value>Null unless the implementation declares it.</value>
    Size? OutputSize(Size input) => null;

    /// <summary>
    /// What <see cref="Apply"/> does to the sample's targets: nothing (<see cref="Targets.TargetBehavior.PixelsOnly"/>), or it moves
    /// pixels and reports each move with <see cref="AugmentationContext.RecordGeometry"/> (<see cref="Targets.TargetBehavior.RecordsGeometry"/>).
    /// </summary>
    /// <remarks>A pipeline whose dataset has targets (<see cref="Discovery.SampleSet.TargetSchema"/>) refuses an augmentation that
    /// leaves this <see cref="Targets.TargetBehavior.Undeclared"/>, naming it, before any sample is read: its boxes could otherwise
    /// stay where the pixels no longer are.</remarks>
    /// <value><see cref="Targets.TargetBehavior.Undeclared"/> unless the implementation declares it; every library transform declares it.</value>
    Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.Undeclared;
}
