using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// The channel order of the pixels between decode and normalize. RGB costs nothing when decode, augment and
/// normalize run in one block: the decoder leaves OpenCV's BGR and the normalizer swaps the channels as it
/// writes the NCHW tensor. That is only allowed when every augmentation declares that it reads the channel
/// order from its context; any other sees the order the pipeline promises.
/// </summary>
/// <param name="Pixels">The order the augmentations see.</param>
/// <param name="SwapInNormalizer">The decoder leaves BGR and the normalizer writes it as RGB.</param>
internal readonly record struct PixelOrder(ColorMode Pixels, bool SwapInNormalizer)
{
    public static PixelOrder Choose(PipelineOptions options, bool fused)
    {
        bool swap = fused && options.ColorMode == ColorMode.Rgb && options.Layout == TensorLayout.Nchw
            && options.Augmentations.All(AugmentationContracts.HandlesAnyChannelOrder);
        return new PixelOrder(swap ? ColorMode.Bgr : options.ColorMode, swap);
    }
}
