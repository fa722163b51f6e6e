using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// With probability <see cref="P"/>, replaces a 3-channel image by its luma on all three channels
/// (torchvision <c>RandomGrayscale</c>). 1-channel images pass unchanged.
/// </summary>
/// <remarks>Luma uses the ITU-R BT.601 weights in the context's channel order (<see cref="AugmentationContext.ColorMode"/>).</remarks>
public sealed class RandomGrayscale : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of converting, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public RandomGrayscale(double p = 0.1)
    {
        Guard.Probability(p, nameof(p));
        P = p;
    }

    /// <summary>Probability of converting.</summary>
    /// <value>0.1 by default (as torchvision).</value>
    public double P { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Random.Chance(P) && image.Channels() == 3)
        {
            using Mat gray = AugmentationOps.ToGray(image, context.ColorMode);
            Cv2.CvtColor(gray, image, ColorConversionCodes.GRAY2BGR);
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
    public override string ToString() => $"RandomGrayscale(p={AugmentationOps.Format(P)})";
}
