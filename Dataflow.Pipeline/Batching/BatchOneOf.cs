using Dataflow.Pipeline.Augmentation;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// Applies one of its batch transforms, picked per batch with the given weights (torchvision <c>v2.RandomChoice</c>, as the
/// classification reference recipe uses it to pick MixUp or CutMix for each batch).
/// </summary>
public sealed class BatchOneOf : IBatchAugmentation
{
    private readonly WeightedChoice<IBatchAugmentation> _choice;

    /// <summary>Creates the combinator with equal weights.</summary>
    /// <param name="transforms">The transforms to choose from: at least one, none null.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null.</exception>
    public BatchOneOf(params IBatchAugmentation[] transforms)
        : this(transforms, null)
    {
    }

    /// <summary>Creates the combinator.</summary>
    /// <param name="transforms">The transforms to choose from: at least one, none null.</param>
    /// <param name="weights">One non-negative finite weight per transform, not all zero; null for equal weights.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null, or the weights do not match it.</exception>
    public BatchOneOf(IReadOnlyList<IBatchAugmentation> transforms, IReadOnlyList<double>? weights)
    {
        _choice = new WeightedChoice<IBatchAugmentation>(transforms, weights, nameof(transforms), nameof(weights));
    }

    /// <summary>The transforms to choose from.</summary>
    public IReadOnlyList<IBatchAugmentation> Transforms => _choice.Items;

    /// <summary>The weight of each transform.</summary>
    public IReadOnlyList<double> Weights => _choice.Weights;

    /// <inheritdoc />
    /// <remarks>Draws one number to choose, then the chosen transform draws its own from the same generator.</remarks>
    public void Apply(Batch batch, BatchAugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        _choice.Pick(context.Random).Apply(batch, context);
    }

    /// <inheritdoc />
    public override string ToString() => $"BatchOneOf({_choice.Describe()})";
}
