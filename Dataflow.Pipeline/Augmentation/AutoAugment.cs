using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;
using Op = Dataflow.Pipeline.Augmentation.PolicyOperation;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// AutoAugment (Cubuk et al. 2018; torchvision <c>AutoAugment</c>): one of the policy's 25 learned sub-policies, drawn
/// uniformly per image; each of its two operations runs with its own probability at its own magnitude bin (of 10), its
/// sign drawn for signed operations.
/// </summary>
/// <remarks>
/// The sub-policies are torchvision's tables for ImageNet (the default), CIFAR-10 and SVHN; magnitudes as in
/// <see cref="RandAugment"/> with 10 bins (rotation up to 30°, shear 0.3, translation 150/331 of the side, factors 1 ± 0.9,
/// posterize 8 to 4 bits, solarize 255 to 0), plus invert. The draws are fixed per image: the sub-policy, two uniform
/// numbers (an operation runs when its number is at most its probability), two signs. OpenCV does every operation.
/// </remarks>
public sealed class AutoAugment : IAugmentation
{
    private const int Bins = 10;
    private readonly Step[][] _subPolicies;

    /// <summary>Creates the policy.</summary>
    /// <param name="policy">The learned policy.</param>
    /// <param name="interpolation">Resampling of the geometric operations.</param>
    /// <param name="fill">Value of the pixels the geometric operations uncover, 0 to 255, on every channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public AutoAugment(AutoAugmentPolicy policy = AutoAugmentPolicy.ImageNet, Interpolation interpolation = Interpolation.Nearest, double fill = 0)
    {
        Guard.Defined(policy, nameof(policy));
        Guard.Defined(interpolation, nameof(interpolation));
        Guard.InRange(fill, 0, 255, nameof(fill));
        Policy = policy;
        Interpolation = interpolation;
        Fill = fill;
        _subPolicies = SubPolicies(policy);
    }

    /// <summary>The learned policy.</summary>
    /// <value><see cref="AutoAugmentPolicy.ImageNet"/> by default.</value>
    public AutoAugmentPolicy Policy { get; }

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
        Step[] subPolicy = _subPolicies[random.NextInt(_subPolicies.Length)];
        Span<double> probabilities = [random.NextDouble(), random.NextDouble()];
        Span<bool> negative = [random.NextInt(2) == 0, random.NextInt(2) == 0];
        (bool Run, double Magnitude)[] plan = new (bool, double)[subPolicy.Length];
        for (int i = 0; i < subPolicy.Length; i++)
        {
            Step step = subPolicy[i];
            double m = step.Bin is int bin ? PolicyOps.Magnitude(step.Op, bin, Bins, image.Size(), wide: false) : 0;
            plan[i] = (probabilities[i] <= step.P, PolicyOps.IsSigned(step.Op) && negative[i] ? -m : m);
        }

        InterpolationFlags interpolation = ImageDecoder.ToOpenCv(Interpolation);
        return AugmentationOps.Chain(image, subPolicy.Length, (current, i) =>
            plan[i].Run ? PolicyOps.Apply(current, subPolicy[i].Op, plan[i].Magnitude, interpolation, Fill, context) : current);
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <summary>True: colour operations take the channel order from the context.</summary>
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: every operation keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() => $"AutoAugment(policy={Policy}, interpolation={Interpolation}, fill={AugmentationOps.Format(Fill)})";

    /// <summary>One operation of a sub-policy: its probability and magnitude bin (null for operations without one).</summary>
    private readonly record struct Step(Op Op, double P, int? Bin);

    private static Step[][] SubPolicies(AutoAugmentPolicy policy) => policy switch
    {
        AutoAugmentPolicy.ImageNet =>
        [
            [new(Op.Posterize, 0.4, 8), new(Op.Rotate, 0.6, 9)],
            [new(Op.Solarize, 0.6, 5), new(Op.AutoContrast, 0.6, null)],
            [new(Op.Equalize, 0.8, null), new(Op.Equalize, 0.6, null)],
            [new(Op.Posterize, 0.6, 7), new(Op.Posterize, 0.6, 6)],
            [new(Op.Equalize, 0.4, null), new(Op.Solarize, 0.2, 4)],
            [new(Op.Equalize, 0.4, null), new(Op.Rotate, 0.8, 8)],
            [new(Op.Solarize, 0.6, 3), new(Op.Equalize, 0.6, null)],
            [new(Op.Posterize, 0.8, 5), new(Op.Equalize, 1.0, null)],
            [new(Op.Rotate, 0.2, 3), new(Op.Solarize, 0.6, 8)],
            [new(Op.Equalize, 0.6, null), new(Op.Posterize, 0.4, 6)],
            [new(Op.Rotate, 0.8, 8), new(Op.Color, 0.4, 0)],
            [new(Op.Rotate, 0.4, 9), new(Op.Equalize, 0.6, null)],
            [new(Op.Equalize, 0.0, null), new(Op.Equalize, 0.8, null)],
            [new(Op.Invert, 0.6, null), new(Op.Equalize, 1.0, null)],
            [new(Op.Color, 0.6, 4), new(Op.Contrast, 1.0, 8)],
            [new(Op.Rotate, 0.8, 8), new(Op.Color, 1.0, 2)],
            [new(Op.Color, 0.8, 8), new(Op.Solarize, 0.8, 7)],
            [new(Op.Sharpness, 0.4, 7), new(Op.Invert, 0.6, null)],
            [new(Op.ShearX, 0.6, 5), new(Op.Equalize, 1.0, null)],
            [new(Op.Color, 0.4, 0), new(Op.Equalize, 0.6, null)],
            [new(Op.Equalize, 0.4, null), new(Op.Solarize, 0.2, 4)],
            [new(Op.Solarize, 0.6, 5), new(Op.AutoContrast, 0.6, null)],
            [new(Op.Invert, 0.6, null), new(Op.Equalize, 1.0, null)],
            [new(Op.Color, 0.6, 4), new(Op.Contrast, 1.0, 8)],
            [new(Op.Equalize, 0.8, null), new(Op.Equalize, 0.6, null)],
        ],
        AutoAugmentPolicy.Cifar10 =>
        [
            [new(Op.Invert, 0.1, null), new(Op.Contrast, 0.2, 6)],
            [new(Op.Rotate, 0.7, 2), new(Op.TranslateX, 0.3, 9)],
            [new(Op.Sharpness, 0.8, 1), new(Op.Sharpness, 0.9, 3)],
            [new(Op.ShearY, 0.5, 8), new(Op.TranslateY, 0.7, 9)],
            [new(Op.AutoContrast, 0.5, null), new(Op.Equalize, 0.9, null)],
            [new(Op.ShearY, 0.2, 7), new(Op.Posterize, 0.3, 7)],
            [new(Op.Color, 0.4, 3), new(Op.Brightness, 0.6, 7)],
            [new(Op.Sharpness, 0.3, 9), new(Op.Brightness, 0.7, 9)],
            [new(Op.Equalize, 0.6, null), new(Op.Equalize, 0.5, null)],
            [new(Op.Contrast, 0.6, 7), new(Op.Sharpness, 0.6, 5)],
            [new(Op.Color, 0.7, 7), new(Op.TranslateX, 0.5, 8)],
            [new(Op.Equalize, 0.3, null), new(Op.AutoContrast, 0.4, null)],
            [new(Op.TranslateY, 0.4, 3), new(Op.Sharpness, 0.2, 6)],
            [new(Op.Brightness, 0.9, 6), new(Op.Color, 0.2, 8)],
            [new(Op.Solarize, 0.5, 2), new(Op.Invert, 0.0, null)],
            [new(Op.Equalize, 0.2, null), new(Op.AutoContrast, 0.6, null)],
            [new(Op.Equalize, 0.2, null), new(Op.Equalize, 0.6, null)],
            [new(Op.Color, 0.9, 9), new(Op.Equalize, 0.6, null)],
            [new(Op.AutoContrast, 0.8, null), new(Op.Solarize, 0.2, 8)],
            [new(Op.Brightness, 0.1, 3), new(Op.Color, 0.7, 0)],
            [new(Op.Solarize, 0.4, 5), new(Op.AutoContrast, 0.9, null)],
            [new(Op.TranslateY, 0.9, 9), new(Op.TranslateY, 0.7, 9)],
            [new(Op.AutoContrast, 0.9, null), new(Op.Solarize, 0.8, 3)],
            [new(Op.Equalize, 0.8, null), new(Op.Invert, 0.1, null)],
            [new(Op.TranslateY, 0.7, 9), new(Op.AutoContrast, 0.9, null)],
        ],
        _ =>
        [
            [new(Op.ShearX, 0.9, 4), new(Op.Invert, 0.2, null)],
            [new(Op.ShearY, 0.9, 8), new(Op.Invert, 0.7, null)],
            [new(Op.Equalize, 0.6, null), new(Op.Solarize, 0.6, 6)],
            [new(Op.Invert, 0.9, null), new(Op.Equalize, 0.6, null)],
            [new(Op.Equalize, 0.6, null), new(Op.Rotate, 0.9, 3)],
            [new(Op.ShearX, 0.9, 4), new(Op.AutoContrast, 0.8, null)],
            [new(Op.ShearY, 0.9, 8), new(Op.Invert, 0.4, null)],
            [new(Op.ShearY, 0.9, 5), new(Op.Solarize, 0.2, 6)],
            [new(Op.Invert, 0.9, null), new(Op.AutoContrast, 0.8, null)],
            [new(Op.Equalize, 0.6, null), new(Op.Rotate, 0.9, 3)],
            [new(Op.ShearX, 0.9, 4), new(Op.Solarize, 0.3, 3)],
            [new(Op.ShearY, 0.8, 8), new(Op.Invert, 0.7, null)],
            [new(Op.Equalize, 0.9, null), new(Op.TranslateY, 0.6, 6)],
            [new(Op.Invert, 0.9, null), new(Op.Equalize, 0.6, null)],
            [new(Op.Contrast, 0.3, 3), new(Op.Rotate, 0.8, 4)],
            [new(Op.Invert, 0.8, null), new(Op.TranslateY, 0.0, 2)],
            [new(Op.ShearY, 0.7, 6), new(Op.Solarize, 0.4, 8)],
            [new(Op.Invert, 0.6, null), new(Op.Rotate, 0.8, 4)],
            [new(Op.ShearY, 0.3, 7), new(Op.TranslateX, 0.9, 3)],
            [new(Op.ShearX, 0.1, 6), new(Op.Invert, 0.6, null)],
            [new(Op.Solarize, 0.7, 2), new(Op.TranslateY, 0.6, 7)],
            [new(Op.ShearY, 0.8, 4), new(Op.Invert, 0.8, null)],
            [new(Op.ShearX, 0.7, 9), new(Op.TranslateY, 0.8, 3)],
            [new(Op.ShearY, 0.8, 5), new(Op.AutoContrast, 0.7, null)],
            [new(Op.ShearX, 0.7, 2), new(Op.Invert, 0.1, null)],
        ],
    };
}
