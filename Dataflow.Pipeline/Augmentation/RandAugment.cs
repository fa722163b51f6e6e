using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// RandAugment (Cubuk et al. 2019; torchvision <c>RandAugment</c>): <see cref="NumOps"/> operations drawn uniformly, with
/// repetition, from 14 (identity, shear x/y, translate x/y, rotate, brightness, colour, contrast, sharpness, posterize,
/// solarize, autocontrast, equalize), each at the one fixed <see cref="Magnitude"/> bin, its sign drawn per operation.
/// </summary>
/// <remarks>
/// <para>Magnitude bins as torchvision's: bin k of n is the fraction k / (n − 1) of shear 0.3 (x' = x − m·y), translation
/// 150/331 of the side (whole pixels), rotation 30°, brightness/colour/contrast/sharpness factors 1 ± 0.9, solarize
/// threshold 255 down to 0; posterize keeps 8 − round(4k / (n − 1)) bits. The defaults (2 operations, bin 9 of 31) give
/// shear 0.09, rotation 9°, factors 1 ± 0.27, 7 bits.</para>
/// <para>OpenCV does every operation: <c>warpAffine</c>, <c>convertTo</c>, <c>addWeighted</c>, <c>filter2D</c>, <c>LUT</c>,
/// equalize built as torchvision's (PIL's) lookup table from each channel's histogram. Luma follows the context's channel order;
/// colour leaves 1-channel images alone. Each image's draws come from its context, so results are deterministic.</para>
/// </remarks>
public sealed class RandAugment : IAugmentation
{
    /// <summary>Creates the policy.</summary>
    /// <param name="numOps">Operations applied in a row, 0 to 100.</param>
    /// <param name="magnitude">The magnitude bin, 0 to <paramref name="numMagnitudeBins"/> − 1.</param>
    /// <param name="numMagnitudeBins">Number of magnitude bins, 2 to 1000.</param>
    /// <param name="interpolation">Resampling of the geometric operations.</param>
    /// <param name="fill">Value of the pixels the geometric operations uncover, 0 to 255, on every channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public RandAugment(int numOps = 2, int magnitude = 9, int numMagnitudeBins = 31, Interpolation interpolation = Interpolation.Nearest, double fill = 0)
    {
        Guard.InRange(numOps, 0, 100, nameof(numOps));
        Guard.InRange(numMagnitudeBins, 2, 1000, nameof(numMagnitudeBins));
        Guard.InRange(magnitude, 0, numMagnitudeBins - 1, nameof(magnitude));
        Guard.Defined(interpolation, nameof(interpolation));
        Guard.InRange(fill, 0, 255, nameof(fill));
        NumOps = numOps;
        Magnitude = magnitude;
        NumMagnitudeBins = numMagnitudeBins;
        Interpolation = interpolation;
        Fill = fill;
    }

    /// <summary>Operations applied in a row.</summary>
    /// <value>2 by default.</value>
    public int NumOps { get; }

    /// <summary>The magnitude bin every operation uses.</summary>
    /// <value>9 by default.</value>
    public int Magnitude { get; }

    /// <summary>Number of magnitude bins.</summary>
    /// <value>31 by default.</value>
    public int NumMagnitudeBins { get; }

    /// <summary>Resampling of the geometric operations.</summary>
    /// <value><see cref="Interpolation.Nearest"/> by default (as torchvision).</value>
    public Interpolation Interpolation { get; }

    /// <summary>Value of the pixels the geometric operations uncover.</summary>
    /// <value>0 by default.</value>
    public double Fill { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        InterpolationFlags interpolation = ImageDecoder.ToOpenCv(Interpolation);
        return AugmentationOps.Chain(image, NumOps, (current, _) =>
        {
            PolicyOperation op = PolicyOps.RandomSpace[context.Random.NextInt(PolicyOps.RandomSpace.Length)];
            double m = PolicyOps.Magnitude(op, Magnitude, NumMagnitudeBins, current.Size(), wide: false);
            return PolicyOps.Apply(current, op, PolicyOps.WithRandomSign(op, m, context.Random), interpolation, Fill, context);
        });
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <summary>True: colour operations take the channel order from the context.</summary>
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: every operation keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"RandAugment(numOps={NumOps}, magnitude={Magnitude}, numMagnitudeBins={NumMagnitudeBins}, interpolation={Interpolation}, fill={AugmentationOps.Format(Fill)})";
}
