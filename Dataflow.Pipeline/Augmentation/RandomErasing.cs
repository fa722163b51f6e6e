using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// With probability <see cref="P"/>, fills a random rectangle with a constant (torchvision <c>RandomErasing</c>;
/// Cutout). The rectangle's area fraction is uniform in <see cref="Scale"/> and its ratio height / width
/// log-uniform in <see cref="Ratio"/>, as torchvision draws them; it must be smaller than the image on both sides,
/// and if 10 tries find none, the image is left as it is.
/// </summary>
/// <remarks>
/// It erases the 8-bit image, before normalization: <see cref="Fill"/> 0 is black. torchvision's recipe erases the
/// normalized tensor, where its 0 is the mean colour; to erase with the mean, give its value in 0–255 as the fill.
/// </remarks>
public sealed class RandomErasing : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of erasing, in [0, 1].</param>
    /// <param name="scale">Range of the rectangle's area fraction, within (0, 1]; (0.02, 0.33) when null.</param>
    /// <param name="ratio">Range of its ratio height / width, within [0.01, 100]; (0.3, 3.3) when null.</param>
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

    /// <summary>Range of the erased rectangle's ratio height / width (torchvision's <c>h = √(area·r)</c>, <c>w = √(area / r)</c>).</summary>
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
        if (context.Random.Chance(P) && TrySelectRegion(image.Size(), context.Random, out Rect region) && region.Width > 0 && region.Height > 0)
        {
            using var view = new Mat(image, region);
            view.SetTo(Scalar.All(Fill));
        }

        return image;
    }

    /// <summary>
    /// torchvision's draw of the box: up to 10 tries at an area fraction uniform in <see cref="Scale"/> and a ratio r
    /// log-uniform in <see cref="Ratio"/>, with h = round(√(area·r)) and w = round(√(area / r)); the first box strictly
    /// smaller than the image on both sides is placed uniformly inside it. A box that rounds to no pixel is taken and
    /// erases nothing, as torchvision's.
    /// </summary>
    internal bool TrySelectRegion(Size size, SampleRandom random, out Rect region)
    {
        double area = (double)size.Width * size.Height;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double erased = area * random.Uniform(Scale.Min, Scale.Max);
            double ratio = Math.Exp(random.Uniform(logMin, logMax));
            int h = (int)Math.Round(Math.Sqrt(erased * ratio));
            int w = (int)Math.Round(Math.Sqrt(erased / ratio));
            if (h < size.Height && w < size.Width)
            {
                int y = random.NextInt(0, size.Height - h);
                int x = random.NextInt(0, size.Width - w);
                region = new Rect(x, y, w, h);
                return true;
            }
        }

        region = default;
        return false;
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.PixelsOnly;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"RandomErasing(p={AugmentationOps.Format(P)}, scale={AugmentationOps.Format(Scale)}, ratio={AugmentationOps.Format(Ratio)}, fill={AugmentationOps.Format(Fill)})";
}
