using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// With probability <see cref="P"/>, fills a random rectangle with a constant (torchvision <c>RandomErasing</c>;
/// Cutout). The rectangle's area fraction is uniform in <see cref="Scale"/> and its aspect ratio (width / height)
/// log-uniform in <see cref="Ratio"/>; if 10 tries find none that fits, the image is left as it is.
/// </summary>
public sealed class RandomErasing : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of erasing, in [0, 1].</param>
    /// <param name="scale">Range of the rectangle's area fraction, within (0, 1]; (0.02, 0.33) when null.</param>
    /// <param name="ratio">Range of its aspect ratio, within [0.01, 100]; (0.3, 3.3) when null.</param>
    /// <param name="fill">The fill value, 0 to 255, on every channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public RandomErasing(double p = 0.5, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, double fill = 0)
    {
        (double Min, double Max) s = scale ?? (0.02, 0.33);
        (double Min, double Max) r = ratio ?? (0.3, 3.3);
        Guard.Probability(p, nameof(p));
        Guard.Range(s.Min, s.Max, 0, 1, nameof(scale), minExclusive: true);
        Guard.Range(r.Min, r.Max, 0.01, 100, nameof(ratio));
        Guard.InRange(fill, 0, 255, nameof(fill));
        P = p;
        Scale = s;
        Ratio = r;
        Fill = fill;
    }

    /// <summary>Probability of erasing.</summary>
    /// <value>0.5 by default (as torchvision).</value>
    public double P { get; }

    /// <summary>Range of the erased area as a fraction of the image's.</summary>
    /// <value>(0.02, 0.33) by default.</value>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the erased rectangle's aspect ratio.</summary>
    /// <value>(0.3, 3.3) by default.</value>
    public (double Min, double Max) Ratio { get; }

    /// <summary>The fill value.</summary>
    /// <value>0 by default.</value>
    public double Fill { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Random.Chance(P) && AugmentationOps.TryRandomArea(image.Size(), Scale, Ratio, context.Random, out Rect region))
        {
            using var view = new Mat(image, region);
            view.SetTo(Scalar.All(Fill));
        }

        return image;
    }

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"RandomErasing(p={AugmentationOps.Format(P)}, scale={AugmentationOps.Format(Scale)}, ratio={AugmentationOps.Format(Ratio)}, fill={AugmentationOps.Format(Fill)})";
}
