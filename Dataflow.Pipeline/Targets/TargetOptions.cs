using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// How a pipeline moves and keeps a dataset's targets (<see cref="PipelineOptions.Targets"/>): the format boxes leave in, and
/// the rules for boxes, keypoints and masks that transforms push out of the image. Used only when the dataset has a
/// <see cref="TargetSchema"/>.
/// </summary>
/// <remarks>
/// <para>Rules, applied at every geometric step (the decoder's resize, each augmentation) as torchvision v2 does: a box's four
/// corners are mapped and their bounds taken, then clipped to the image. Once the image is final, a box is dropped (with its class,
/// fields, keypoints and instance mask, and counted in <see cref="PipelineReport.DroppedBoxes"/>) when its width or height is below
/// <see cref="MinBoxSize"/>, or when less than <see cref="MinVisibility"/> of its area is left (the product over the steps of the
/// fraction each clip kept). A keypoint mapped outside the image gets visibility 0 and keeps its mapped position. Masks are warped
/// with the pixels' own maps, nearest-neighbour, the outside filled with <see cref="MaskFill"/>.</para>
/// </remarks>
public sealed class TargetOptions
{
    /// <summary>The defaults: xyxy pixels out, boxes under 1 pixel wide or high dropped, no visibility rule, masks filled with 0.</summary>
    public static TargetOptions Default { get; } = new();

    /// <summary>The format of the batch's boxes, in the tensor's pixels (or normalized by its size).</summary>
    /// <value><see cref="BoxFormat.Xyxy"/> (pixels), torchvision v2's default.</value>
    public BoxFormat BoxFormat { get; init; }

    /// <summary>The smallest width and height, in tensor pixels, a box may keep, 0 to 16384.</summary>
    /// <value>1, as torchvision v2's <c>SanitizeBoundingBoxes(min_size=1)</c>.</value>
    public double MinBoxSize { get; init; } = 1;

    /// <summary>The smallest fraction of a box's area that the transforms may leave inside the image, 0 to 1.</summary>
    /// <value>0 (no rule), as Albumentations' <c>min_visibility</c>; torchvision v2 has none.</value>
    public double MinVisibility { get; init; }

    /// <summary>The value of mask pixels that come from outside the source image (padding, rotation corners), 0 to 255.</summary>
    /// <value>0 (background), as torchvision v2 fills masks; 255 makes them "ignore" for most segmentation losses.</value>
    public byte MaskFill { get; init; }

    internal void Check(OptionChecks checks, string name)
    {
        checks.Add($"{name}.{nameof(BoxFormat)}", Guard.Undefined(BoxFormat.Coordinates, $"{name}.{nameof(BoxFormat)}"));
        checks.InRange(MinBoxSize, 0, 16_384, $"{name}.{nameof(MinBoxSize)}");
        checks.InRange(MinVisibility, 0, 1, $"{name}.{nameof(MinVisibility)}");
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"targets (boxes {BoxFormat}, min size {MinBoxSize}, min visibility {MinVisibility}, mask fill {MaskFill})");
}
