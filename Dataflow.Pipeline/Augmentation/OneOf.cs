using System.Globalization;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>Applies one of its transforms, picked at random per image with the given weights (torchvision <c>RandomChoice</c>).</summary>
public sealed class OneOf : IAugmentation
{
    private readonly IAugmentation[] _transforms;
    private readonly double[] _cumulative;

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
        _transforms = RandomApply.CheckTransforms(transforms, nameof(transforms));
        double[] w = weights is null ? [.. Enumerable.Repeat(1.0, _transforms.Length)] : [.. weights];
        if (w.Length != _transforms.Length || w.Any(x => !double.IsFinite(x) || x < 0) || w.Sum() <= 0)
        {
            throw new ArgumentException(
                $"Parameter \"{nameof(weights)}\" must hold {_transforms.Length} finite, non-negative weights that are not all 0, was [{string.Join(", ", w.Select(x => x.ToString(CultureInfo.InvariantCulture)))}].",
                nameof(weights));
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

    /// <summary>The transforms to choose from.</summary>
    public IReadOnlyList<IAugmentation> Transforms => _transforms;

    /// <summary>The weight of each transform.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        double u = context.Random.NextDouble();
        int chosen = 0;
        while (chosen < _cumulative.Length - 1 && u >= _cumulative[chosen])
        {
            chosen++;
        }

        return _transforms[chosen].Apply(image, context);
    }

    /// <summary>True when every transform handles either channel order.</summary>
    public bool HandlesAnyChannelOrder => AugmentationContracts.HandleAnyChannelOrder(_transforms);

    /// <summary>The transforms' common size; when they differ, one that differs from the input.</summary>
    public Size? OutputSize(Size input) => AugmentationContracts.Either(_transforms.Select(t => t.OutputSize(input)), input);

    /// <inheritdoc />
    public override string ToString() =>
        $"OneOf([{string.Join(", ", _transforms.Select(t => t.ToString()))}], weights=[{string.Join(", ", Weights.Select(AugmentationOps.Format))}])";
}
