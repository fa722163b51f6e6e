using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// The standard ImageNet training crop (torchvision <c>RandomResizedCrop</c>): a region covering a random
/// fraction of the image's area, with a random aspect ratio, resized to the target size.
/// </summary>
/// <remarks>
/// Up to 10 tries draw an area fraction uniformly in <see cref="Scale"/> and an aspect ratio (width / height)
/// log-uniformly in <see cref="Ratio"/>, and keep the first rectangle that fits, at a uniform position;
/// if none fits, the largest centred region whose aspect ratio is within <see cref="Ratio"/> is used.
/// As the first augmentation of a pipeline it is fused with the decoder's resize
/// (see <see cref="ISourceCropAugmentation"/>): the full-size image is resized once.
/// </remarks>
public sealed class RandomResizedCrop : ISourceCropAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="scale">Range of the region's area as a fraction of the image's, within (0, 1].</param>
    /// <param name="ratio">Range of the region's aspect ratio (width / height), within [0.01, 100].</param>
    /// <exception cref="ArgumentOutOfRangeException">A range is empty, reversed or outside its bounds.</exception>
    public RandomResizedCrop((double Min, double Max)? scale = null, (double Min, double Max)? ratio = null)
    {
        (double Min, double Max) s = scale ?? (0.08, 1.0);
        (double Min, double Max) r = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        Guard.Range(s.Min, s.Max, 0.0, 1.0, nameof(scale), minExclusive: true);
        Guard.Range(r.Min, r.Max, 0.01, 100.0, nameof(ratio));
        Scale = s;
        Ratio = r;
    }

    /// <summary>Range of the region's area fraction.</summary>
    /// <value>(0.08, 1) by default.</value>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the region's aspect ratio (width / height).</summary>
    /// <value>(3/4, 4/3) by default.</value>
    public (double Min, double Max) Ratio { get; }

    /// <inheritdoc />
    public Rect SelectRegion(Size source, Size target, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (AugmentationOps.TryRandomArea(source, Scale, Ratio, context.Random, out Rect region))
        {
            return region;
        }

        // Fallback (as torchvision): the whole image, trimmed to the nearest allowed aspect ratio.
        double inRatio = (double)source.Width / source.Height;
        int w = source.Width, h = source.Height;
        if (inRatio < Ratio.Min)
        {
            h = Math.Clamp((int)Math.Round(w / Ratio.Min), 1, source.Height);
        }
        else if (inRatio > Ratio.Max)
        {
            w = Math.Clamp((int)Math.Round(h * Ratio.Max), 1, source.Width);
        }

        return new Rect((source.Width - w) / 2, (source.Height - h) / 2, w, h);
    }

    /// <summary>Crops a region of <paramref name="image"/> and resizes it (bilinear) back to the image's size.</summary>
    public Mat Apply(Mat image, AugmentationContext context) => AugmentationOps.ApplySourceCrop(this, image, context);

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() => $"RandomResizedCrop(scale={AugmentationOps.Format(Scale)}, ratio={AugmentationOps.Format(Ratio)})";
}
