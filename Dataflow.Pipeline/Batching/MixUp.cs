using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Internal;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// MixUp (Zhang et al. 2018; torchvision <c>v2.MixUp</c>, the reference recipe's <c>RandomMixup</c>): with probability
/// <see cref="P"/>, every row becomes λ · row + (1 − λ) · its partner, and so does its one-hot row, with one
/// λ ~ Beta(<see cref="Alpha"/>, <see cref="Alpha"/>) per batch.
/// </summary>
/// <remarks>
/// Row i is paired with row i − 1 and row 0 with the last row (torchvision's <c>batch.roll(1, 0)</c>); the rows are
/// already in their shuffled order. Pixels and labels are blended in float32 as torchvision does. After it,
/// <see cref="Batch.OneHot"/> holds soft labels (each row still sums to 1); <see cref="Batch.Labels"/> keeps each
/// row's own class. A one-row batch is left as it is. Draws: one number for <see cref="P"/>, then λ. With byte output
/// (<see cref="PipelineOptions.Output"/> = <see cref="TensorElementType.UInt8"/>) the blended pixels are rounded to the
/// nearest byte; the soft labels are the same float rows.
/// </remarks>
public sealed class MixUp : IBatchAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="alpha">The Beta distribution's parameter, above 0 and at most 100: 1 gives a uniform λ, small values λ near 0 or 1.</param>
    /// <param name="p">Probability of mixing a batch, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public MixUp(double alpha = 1.0, double p = 1.0)
    {
        Guard.InRange(alpha, 0, 100, nameof(alpha), minExclusive: true);
        Guard.Probability(p, nameof(p));
        Alpha = alpha;
        P = p;
    }

    /// <summary>The Beta distribution's parameter.</summary>
    /// <value>1 by default (as torchvision).</value>
    public double Alpha { get; }

    /// <summary>Probability of mixing a batch.</summary>
    /// <value>1 by default.</value>
    public double P { get; }

    /// <inheritdoc />
    public void Apply(Batch batch, BatchAugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        if (Draw(context.Random) is double lambda)
        {
            if (batch.ElementType == TensorElementType.UInt8)
            {
                BatchMixing.Blend(batch.ByteData, batch.Count, batch.SampleLength, lambda);
            }
            else
            {
                BatchMixing.Blend(batch.Data, batch.Count, batch.SampleLength, lambda);
            }

            BatchMixing.Blend(batch.OneHot, batch.Count, batch.ClassNames.Count, lambda);
        }
    }

    /// <summary>The weight of each row's own values, or null when the batch is left as it is.</summary>
    internal double? Draw(SampleRandom random) => random.Chance(P) ? BetaSampler.Symmetric(Alpha, random) : null;

    /// <inheritdoc />
    public override string ToString() => $"MixUp(alpha={AugmentationOps.Format(Alpha)}, p={AugmentationOps.Format(P)})";
}
