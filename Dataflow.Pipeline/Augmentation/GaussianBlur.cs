using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// Blurs with a square Gaussian kernel whose sigma is drawn uniformly from <see cref="Sigma"/>
/// (torchvision <c>GaussianBlur(kernel_size, sigma)</c>). Borders are reflected.
/// </summary>
public sealed class GaussianBlur : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="kernelSize">Kernel side in pixels: odd, 1 to 255.</param>
    /// <param name="sigma">Range of the standard deviation in pixels, within (0, 100]; (0.1, 2) when null.</param>
    /// <param name="p">Probability of blurring, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public GaussianBlur(int kernelSize = 5, (double Min, double Max)? sigma = null, double p = 1.0)
    {
        (double Min, double Max) s = sigma ?? (0.1, 2.0);
        Guard.OddInRange(kernelSize, 1, 255, nameof(kernelSize));
        Guard.Range(s.Min, s.Max, 0, 100, nameof(sigma), minExclusive: true);
        Guard.Probability(p, nameof(p));
        KernelSize = kernelSize;
        Sigma = s;
        P = p;
    }

    /// <summary>Kernel side in pixels.</summary>
    /// <value>5 by default.</value>
    public int KernelSize { get; }

    /// <summary>Range of the standard deviation, in pixels.</summary>
    /// <value>(0.1, 2) by default (as torchvision).</value>
    public (double Min, double Max) Sigma { get; }

    /// <summary>Probability of blurring.</summary>
    /// <value>1 by default.</value>
    public double P { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        bool apply = context.Random.Chance(P);
        double sigma = context.Random.Uniform(Sigma.Min, Sigma.Max);
        if (apply && KernelSize > 1)
        {
            Cv2.GaussianBlur(image, image, new Size(KernelSize, KernelSize), sigma, sigma, BorderTypes.Reflect101);
        }

        return image;
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.PixelsOnly;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() => $"GaussianBlur(kernelSize={KernelSize}, sigma={AugmentationOps.Format(Sigma)}, p={AugmentationOps.Format(P)})";
}
