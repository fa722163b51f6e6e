using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// Rotates the image about its centre by an angle drawn uniformly from <see cref="Degrees"/>, keeping its size and
/// filling the uncovered corners with <see cref="Fill"/> (torchvision <c>RandomRotation</c>, Keras <c>RandomRotation</c>).
/// </summary>
/// <remarks>Positive angles turn the picture counter-clockwise, as torchvision's. An angle of exactly 0 returns the image untouched.</remarks>
public sealed class RandomRotation : IAugmentation
{
    private readonly RandomAffine _affine;

    /// <summary>Creates a rotation by an angle uniform in [-<paramref name="degrees"/>, <paramref name="degrees"/>].</summary>
    /// <param name="degrees">Largest angle either way, 0 to 180.</param>
    /// <param name="fill">Value of the uncovered pixels, 0 to 255, on every channel.</param>
    /// <param name="interpolation">Resampling.</param>
    /// <param name="p">Probability of rotating, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public RandomRotation(double degrees, double fill = 0, Interpolation interpolation = Interpolation.Bilinear, double p = 1.0)
        : this((-Math.Abs(degrees), Math.Abs(degrees)), fill, interpolation, p)
    {
        Guard.InRange(degrees, 0, 180, nameof(degrees));
    }

    /// <summary>Creates a rotation by an angle uniform in <paramref name="degrees"/>.</summary>
    /// <param name="degrees">Range of angles, within [-360, 360].</param>
    /// <param name="fill">Value of the uncovered pixels, 0 to 255, on every channel.</param>
    /// <param name="interpolation">Resampling.</param>
    /// <param name="p">Probability of rotating, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public RandomRotation((double Min, double Max) degrees, double fill = 0, Interpolation interpolation = Interpolation.Bilinear, double p = 1.0)
    {
        Guard.Range(degrees.Min, degrees.Max, -360, 360, nameof(degrees));
        Guard.InRange(fill, 0, 255, nameof(fill));
        Guard.Defined(interpolation, nameof(interpolation));
        Guard.Probability(p, nameof(p));
        _affine = new RandomAffine(degrees: degrees, fill: fill, interpolation: interpolation, p: p);
        Degrees = degrees;
        Fill = fill;
        Interpolation = interpolation;
        P = p;
    }

    /// <summary>Range of rotation angles, in degrees.</summary>
    public (double Min, double Max) Degrees { get; }

    /// <summary>Value of the uncovered pixels.</summary>
    /// <value>0 by default.</value>
    public double Fill { get; }

    /// <summary>Resampling.</summary>
    /// <value><see cref="Interpolation.Bilinear"/> by default.</value>
    public Interpolation Interpolation { get; }

    /// <summary>Probability of rotating.</summary>
    /// <value>1 by default.</value>
    public double P { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context) => _affine.Apply(image, context);

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"RandomRotation(degrees={AugmentationOps.Format(Degrees)}, fill={AugmentationOps.Format(Fill)}, interpolation={Interpolation}, p={AugmentationOps.Format(P)})";
}
