using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// Keeps the centred window of the target's aspect ratio, <see cref="Fraction"/> of the largest such window
/// on each side, resized to the target (Keras <c>central_crop</c>). Deterministic: it draws nothing.
/// </summary>
/// <remarks>
/// A fraction of 0.875 keeps the window torchvision's <c>Resize(256)</c> + <c>CenterCrop(224)</c> keeps, but crops
/// before resizing, so its pixels differ from torchvision's; <see cref="Decoding.ResizeMode.ShorterSideThenCenterCrop"/> is
/// that transform exactly.
/// As the first augmentation of a pipeline it is fused with the decoder's resize
/// (see <see cref="ISourceCropAugmentation"/>): the full-size image is resized once.
/// </remarks>
public sealed class CenterCrop : ISourceCropAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="fraction">Side of the window relative to the largest centred window of the target's aspect ratio, in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is outside (0, 1].</exception>
    public CenterCrop(double fraction = 0.875)
    {
        Guard.InRange(fraction, 0.0, 1.0, nameof(fraction), minExclusive: true);
        Fraction = fraction;
    }

    /// <summary>Side of the window relative to the largest centred window of the target's aspect ratio.</summary>
    /// <value>0.875 by default (224 of 256).</value>
    public double Fraction { get; }

    /// <inheritdoc />
    public Rect SelectRegion(Size source, Size target, AugmentationContext context)
    {
        double aspect = (double)target.Width / target.Height;
        double w = source.Width, h = source.Height;
        if (w / h > aspect)
        {
            w = h * aspect;
        }
        else
        {
            h = w / aspect;
        }

        int cw = Math.Clamp((int)Math.Round(w * Fraction), 1, source.Width);
        int ch = Math.Clamp((int)Math.Round(h * Fraction), 1, source.Height);
        return new Rect((source.Width - cw) / 2, (source.Height - ch) / 2, cw, ch);
    }

    /// <summary>Crops the centre of <paramref name="image"/> and resizes it (bilinear) back to the image's size.</summary>
    public Mat Apply(Mat image, AugmentationContext context) => AugmentationOps.ApplySourceCrop(this, image, context);

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() => $"CenterCrop(fraction={AugmentationOps.Format(Fraction)})";
}
