using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// TrivialAugment Wide (Müller and Hutter 2021; torchvision <c>TrivialAugmentWide</c>): one operation drawn uniformly from
/// the 14 of <see cref="RandAugment"/>, at a magnitude bin drawn uniformly from <see cref="NumMagnitudeBins"/>, its sign
/// drawn too. No parameter to tune.
/// </summary>
/// <remarks>
/// The wide ranges, as torchvision's: shear up to 0.99, translation up to 32 pixels, rotation up to 135°,
/// brightness/colour/contrast/sharpness factors 1 ± 0.99, posterize 8 down to 2 bits, solarize threshold 255 down to 0.
/// OpenCV does every operation (see <see cref="RandAugment"/>).
/// </remarks>
public sealed class TrivialAugmentWide : IAugmentation
{
    /// <summary>Creates the policy.</summary>
    /// <param name="numMagnitudeBins">Number of magnitude bins, 2 to 1000.</param>
    /// <param name="interpolation">Resampling of the geometric operations.</param>
    /// <param name="fill">Value of the pixels the geometric operations uncover, 0 to 255, on every channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public TrivialAugmentWide(int numMagnitudeBins = 31, Interpolation interpolation = Interpolation.Nearest, double fill = 0)
    {
        Guard.InRange(numMagnitudeBins, 2, 1000, nameof(numMagnitudeBins));
        Guard.Defined(interpolation, nameof(interpolation));
        Guard.InRange(fill, 0, 255, nameof(fill));
        NumMagnitudeBins = numMagnitudeBins;
        Interpolation = interpolation;
        Fill = fill;
    }

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
        SampleRandom random = context.Random;
        PolicyOperation op = PolicyOps.RandomSpace[random.NextInt(PolicyOps.RandomSpace.Length)];
        double m = PolicyOps.HasMagnitude(op) ? PolicyOps.Magnitude(op, random.NextInt(NumMagnitudeBins), NumMagnitudeBins, image.Size(), wide: true) : 0;
        return PolicyOps.Apply(image, op, PolicyOps.WithRandomSign(op, m, random), ImageDecoder.ToOpenCv(Interpolation), Fill, context);
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <summary>True: colour operations take the channel order from the context.</summary>
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: every operation keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"TrivialAugmentWide(numMagnitudeBins={NumMagnitudeBins}, interpolation={Interpolation}, fill={AugmentationOps.Format(Fill)})";
}
