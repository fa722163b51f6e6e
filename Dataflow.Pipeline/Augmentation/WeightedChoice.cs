using System.Globalization;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>A validated list of transforms and the weights to pick one of them with (<see cref="OneOf"/>, <see cref="Batching.BatchOneOf"/>).</summary>
internal sealed class WeightedChoice<T>
    where T : class
{
    private readonly double[] _cumulative;

    /// <exception cref="ArgumentException">The list is empty or holds null, or the weights do not match it.</exception>
    public WeightedChoice(IReadOnlyList<T>? transforms, IReadOnlyList<double>? weights, string transformsName, string weightsName)
    {
        Items = CheckTransforms(transforms, transformsName);
        double[] w = weights is null ? [.. Enumerable.Repeat(1.0, Items.Length)] : [.. weights];
        if (w.Length != Items.Length || w.Any(x => !double.IsFinite(x) || x < 0) || w.Sum() <= 0)
        {
            throw new ArgumentException(
                $"Parameter \"{weightsName}\" must hold {Items.Length} finite, non-negative weights that are not all 0, was [{string.Join(", ", w.Select(x => x.ToString(CultureInfo.InvariantCulture)))}].",
                weightsName);
        }

        _cumulative = new double[w.Length];
        double sum = w.Sum(), running = 0;
        for (int i = 0; i < w.Length; i++)
        {
            running += w[i] / sum;
            _cumulative[i] = running;
        }

        Weights = [.. w];
    }

    /// <summary>The transforms, a copy of the caller's list.</summary>
    public T[] Items { get; }

    /// <summary>The weight of each transform.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>One transform, drawn with one number from <paramref name="random"/>.</summary>
    public T Pick(SampleRandom random)
    {
        double u = random.NextDouble();
        int chosen = 0;
        while (chosen < _cumulative.Length - 1 && u >= _cumulative[chosen])
        {
            chosen++;
        }

        return Items[chosen];
    }

    /// <summary>The transforms and weights written for <c>ToString()</c>.</summary>
    public string Describe() =>
        $"[{string.Join(", ", Items.Select(t => t.ToString()))}], weights=[{string.Join(", ", Weights.Select(AugmentationOps.Format))}]";

    /// <summary>A copy of <paramref name="transforms"/>, refused when empty or holding null.</summary>
    /// <exception cref="ArgumentException">The list is empty or holds null.</exception>
    public static T[] CheckTransforms(IReadOnlyList<T>? transforms, string name)
    {
        if (transforms is null || transforms.Count == 0)
        {
            throw new ArgumentException($"Parameter \"{name}\" must hold at least one transform, was empty.", name);
        }

        for (int i = 0; i < transforms.Count; i++)
        {
            if (transforms[i] is null)
            {
                throw new ArgumentException($"Parameter \"{name}\" must not hold null, was null at index {i}.", name);
            }
        }

        return [.. transforms];
    }
}
