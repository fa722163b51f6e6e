using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>With probability <see cref="P"/>, applies all its transforms in order; otherwise none (torchvision <c>RandomApply</c>).</summary>
public sealed class RandomApply : IAugmentation
{
    private readonly IAugmentation[] _transforms;

    /// <summary>Creates the combinator.</summary>
    /// <param name="p">Probability of applying the transforms, in [0, 1].</param>
    /// <param name="transforms">The transforms, in order: at least one, none null.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null, or <paramref name="p"/> is outside [0, 1].</exception>
    public RandomApply(double p, params IAugmentation[] transforms)
    {
        Guard.Probability(p, nameof(p));
        _transforms = WeightedChoice<IAugmentation>.CheckTransforms(transforms, nameof(transforms));
        P = p;
    }

    /// <summary>Probability of applying the transforms.</summary>
    public double P { get; }

    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<IAugmentation> Transforms => _transforms;

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        return context.Random.Chance(P) ? AugmentationOps.ApplyAll(_transforms, image, context) : image;
    }

    /// <summary>Undeclared when a transform is; else what the transforms do together.</summary>
    public Targets.TargetBehavior TargetBehavior => AugmentationContracts.TargetBehavior(_transforms);

    /// <summary>True when every transform handles either channel order.</summary>
    public bool HandlesAnyChannelOrder => AugmentationContracts.HandleAnyChannelOrder(_transforms);

    /// <summary>The input's size when the transforms keep it; otherwise the size they give (the output then depends on the draw).</summary>
    public Size? OutputSize(Size input) => AugmentationContracts.Either([AugmentationContracts.Sequence(_transforms, input), input], input);

    /// <inheritdoc />
    public override string ToString() => $"RandomApply(p={AugmentationOps.Format(P)}, [{string.Join(", ", _transforms.Select(t => t.ToString()))}])";
}
