using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Internal;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// CutMix (Yun et al. 2019; torchvision <c>v2.CutMix</c>, the reference recipe's <c>RandomCutmix</c>): with probability
/// <see cref="P"/>, a box of every row is replaced by the same box of its partner, and the one-hot rows are mixed by the
/// area that stays: λ = 1 − box area / image area, exactly, after the box is clipped to the image.
/// </summary>
/// <remarks>
/// As torchvision: λ₀ ~ Beta(<see cref="Alpha"/>, <see cref="Alpha"/>); the box's centre is uniform over the pixels; its
/// half-sides are ⌊½·√(1 − λ₀)·W⌋ and ⌊½·√(1 − λ₀)·H⌋; it is clipped to the image. One box per batch, on every channel,
/// in NCHW and NHWC alike. Row i is paired with row i − 1 and row 0 with the last row. After it, <see cref="Batch.OneHot"/>
/// holds soft labels (each row still sums to 1); <see cref="Batch.Labels"/> keeps each row's own class. A one-row batch is
/// left as it is. Draws: one number for <see cref="P"/>, then λ₀, the centre's x, its y. With byte output
/// (<see cref="PipelineOptions.Output"/> = <see cref="TensorElementType.UInt8"/>) the box is pasted byte for byte; the
/// soft labels are the same float rows.
/// </remarks>
public sealed class CutMix : IBatchAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="alpha">The Beta distribution's parameter, above 0 and at most 100.</param>
    /// <param name="p">Probability of mixing a batch, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public CutMix(double alpha = 1.0, double p = 1.0)
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
        (int width, int height) = BatchMixing.ImageSize(batch.Shape, batch.Layout);
        if (Draw(context.Random, width, height) is var (box, lambda))
        {
            if (batch.ElementType == TensorElementType.UInt8)
            {
                BatchMixing.PasteBox(batch.ByteData, batch.Shape, batch.Layout, box);
            }
            else
            {
                BatchMixing.PasteBox(batch.Data, batch.Shape, batch.Layout, box);
            }

            BatchMixing.Blend(batch.OneHot, batch.Count, batch.ClassNames.Count, lambda);
        }
    }

    /// <summary>The pasted box (x1, y1, x2, y2, ends exclusive) and the weight of each row's own label, or null when the batch is left as it is.</summary>
    internal ((int X1, int Y1, int X2, int Y2) Box, double Lambda)? Draw(SampleRandom random, int width, int height)
    {
        if (!random.Chance(P))
        {
            return null;
        }

        double lambda = BetaSampler.Symmetric(Alpha, random);
        int cx = random.NextInt(width), cy = random.NextInt(height);
        double r = 0.5 * Math.Sqrt(1.0 - lambda);
        int halfWidth = (int)(r * width), halfHeight = (int)(r * height);
        int x1 = Math.Max(cx - halfWidth, 0), y1 = Math.Max(cy - halfHeight, 0);
        int x2 = Math.Min(cx + halfWidth, width), y2 = Math.Min(cy + halfHeight, height);
        return ((x1, y1, x2, y2), 1.0 - (double)(x2 - x1) * (y2 - y1) / ((double)width * height));
    }

    /// <inheritdoc />
    public override string ToString() => $"CutMix(alpha={AugmentationOps.Format(Alpha)}, p={AugmentationOps.Format(P)})";
}
