using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>Mirrors the image top–bottom with probability <see cref="P"/> (torchvision <c>RandomVerticalFlip</c>).</summary>
public sealed class RandomVerticalFlip : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of flipping, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public RandomVerticalFlip(double p = 0.5)
    {
        Guard.Probability(p, nameof(p));
        P = p;
    }

    /// <summary>Probability of flipping.</summary>
    /// <value>0.5 by default.</value>
    public double P { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Random.Chance(P))
        {
            Cv2.Flip(image, image, FlipMode.X);
            context.RecordGeometry(new Targets.Affine2D(1, 0, 0, 0, -1, image.Height), image.Size());
        }

        return image;
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() => $"RandomVerticalFlip(p={AugmentationOps.Format(P)})";
}
