using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>Applies one of its transforms, picked at random per image with the given weights (torchvision <c>RandomChoice</c>).</summary>
public sealed class OneOf : IAugmentation
{
    private readonly WeightedChoice<IAugmentation> _choice;

    /// <summary>Creates the combinator with equal weights.</summary>
    /// <param name="transforms">The transforms to choose from: at least one, none null.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null.</exception>
    public OneOf(params IAugmentation[] transforms)
        : this(transforms, null)
    {
    }

    /// <summary>Creates the combinator.</summary>
    /// <param name="transforms">The transforms to choose from: at least one, none null.</param>
    /// <param name="weights">One non-negative finite weight per transform, not all zero; null for equal weights.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null, or the weights do not match it.</exception>
    public OneOf(IReadOnlyList<IAugmentation> transforms, IReadOnlyList<double>? weights)
    {
        _choice = new WeightedChoice<IAugmentation>(transforms, weights, nameof(transforms), nameof(weights));
    }

    /// <summary>The transforms to choose from.</summary>
    public IReadOnlyList<IAugmentation> Transforms => _choice.Items;

    /// <summary>The weight of each transform.</summary>
    public IReadOnlyList<double> Weights => _choice.Weights;

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        return _choice.Pick(context.Random).Apply(image, context);
    }

    /// <summary>Undeclared when a transform is; else what the transforms do together.</summary>
    public Targets.TargetBehavior TargetBehavior => AugmentationContracts.TargetBehavior(_choice.Items);

    /// <summary>True when every transform handles either channel order.</summary>
    public bool HandlesAnyChannelOrder => AugmentationContracts.HandleAnyChannelOrder(_choice.Items);

    /// <summary>The transforms' common size; when they differ, one that differs from the input.</summary>
    public Size? OutputSize(Size input) => AugmentationContracts.Either(_choice.Items.Select(t => t.OutputSize(input)), input);

    /// <inheritdoc />
    public override string ToString() => $"OneOf({_choice.Describe()})";
}
