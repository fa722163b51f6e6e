using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// What a dataset's targets are, declared once for all its samples: the kinds they carry, the class names that box classes,
/// multi-label sets and mask values index, and for keypoints their names, left/right flip pairs and skeleton.
/// </summary>
/// <remarks>Carried by the <see cref="SampleSet"/> (<see cref="SampleSet.TargetSchema"/>). The classes here are the targets'
/// own; they are usually the set's <see cref="SampleSet.ClassNames"/> too (the set's per-image label is then the class of the
/// image as a whole, where it has one).</remarks>
public sealed class TargetSchema
{
    private readonly IReadOnlyList<string> _keypointNames = [];
    private readonly IReadOnlyList<(int Left, int Right)> _flipPairs = [];
    private readonly IReadOnlyList<(int From, int To)> _skeleton = [];
    private int[]? _flipPermutation;

    /// <summary>Creates a schema.</summary>
    /// <param name="kinds">The kinds the samples may carry (a sample may have fewer: a negative has no boxes).</param>
    /// <param name="classNames">The targets' class names, indexed by class.</param>
    /// <exception cref="ArgumentException"><paramref name="kinds"/> has undefined flags, or <see cref="TargetKinds.InstanceMasks"/>
    /// without <see cref="TargetKinds.Boxes"/>.</exception>
    public TargetSchema(TargetKinds kinds, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        const TargetKinds all = TargetKinds.Boxes | TargetKinds.Keypoints | TargetKinds.SemanticMask | TargetKinds.InstanceMasks | TargetKinds.MultiLabel | TargetKinds.Text;
        if ((kinds & ~all) != 0)
        {
            throw new ArgumentException($"Parameter \"{nameof(kinds)}\" must combine {string.Join(", ", Enum.GetNames<TargetKinds>())}, was {(int)kinds}.", nameof(kinds));
        }

        if (kinds.HasFlag(TargetKinds.InstanceMasks) && !kinds.HasFlag(TargetKinds.Boxes))
        {
            throw new ArgumentException($"Parameter \"{nameof(kinds)}\" has InstanceMasks without Boxes: an instance mask belongs to a box.", nameof(kinds));
        }

        Kinds = kinds;
        ClassNames = [.. classNames];
    }

    /// <summary>The kinds the samples may carry.</summary>
    public TargetKinds Kinds { get; }

    /// <summary>The targets' class names, indexed by class.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The names of the keypoints of an instance, in order (COCO's "nose", "left_eye", …).</summary>
    /// <value>Empty by default; a dataset with <see cref="TargetKinds.Keypoints"/> must name them.</value>
    public IReadOnlyList<string> KeypointNames
    {
        get => _keypointNames;
        init => _keypointNames = [.. value ?? throw new ArgumentNullException(nameof(KeypointNames))];
    }

    /// <summary>Pairs of keypoint indices that swap places when the image is mirrored left–right ("left_eye", "right_eye").</summary>
    /// <value>Empty by default. Each index appears at most once.</value>
    public IReadOnlyList<(int Left, int Right)> FlipPairs
    {
        get => _flipPairs;
        init => _flipPairs = [.. value ?? throw new ArgumentNullException(nameof(FlipPairs))];
    }

    /// <summary>Pairs of keypoint indices joined by a line when drawn.</summary>
    /// <value>Empty by default.</value>
    public IReadOnlyList<(int From, int To)> Skeleton
    {
        get => _skeleton;
        init => _skeleton = [.. value ?? throw new ArgumentNullException(nameof(Skeleton))];
    }

    /// <summary>
    /// For each keypoint, the keypoint whose place it takes after a left–right mirror (itself unless it is in a pair);
    /// checks <see cref="FlipPairs"/> and <see cref="Skeleton"/> against <see cref="KeypointNames"/> on first use.
    /// </summary>
    internal int[] FlipPermutation => _flipPermutation ??= MakeFlipPermutation();

    /// <summary>
    /// Why <paramref name="sample"/>'s targets do not fit this schema (naming the sample, the kind and the annotation), or null
    /// when they do: a kind the schema does not declare, a class out of range, keypoint or mask counts that disagree.
    /// </summary>
    /// <remarks>What needs the image's size (a box outside it, a mask of another size) is checked when the sample is read.</remarks>
    /// <exception cref="ArgumentException">The schema itself is inconsistent (a flip pair or skeleton index beyond the keypoints).</exception>
    public string? Check(SampleInfo sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        _ = FlipPermutation;
        if (sample.Targets is not SampleTargets targets)
        {
            return null;
        }

        if ((targets.Kinds & ~Kinds) is TargetKinds extra and not 0)
        {
            return $"Sample {sample} has targets of kind {extra}; the dataset declares {Kinds}.";
        }

        int classes = ClassNames.Count;
        if (targets.Boxes is BoundingBoxes boxes)
        {
            ReadOnlySpan<int> boxClasses = boxes.Classes;
            for (int i = 0; i < boxClasses.Length; i++)
            {
                if (boxClasses[i] >= classes)
                {
                    return $"Sample {sample}: box {i} has class {boxClasses[i]}; the dataset has {classes} classes.";
                }
            }
        }

        int boxCount = targets.Boxes?.Count ?? 0;
        if (targets.Keypoints is Keypoints keypoints)
        {
            if (keypoints.KeypointCount != KeypointNames.Count)
            {
                return $"Sample {sample} has {keypoints.KeypointCount} keypoints per instance; the dataset names {KeypointNames.Count}.";
            }

            if (Kinds.HasFlag(TargetKinds.Boxes) && keypoints.InstanceCount != boxCount)
            {
                return $"Sample {sample} has keypoints for {keypoints.InstanceCount} instances and {boxCount} boxes; instance i is the object of box i.";
            }
        }

        if (targets.InstanceMasks is { } masks && masks.Count != boxCount)
        {
            return $"Sample {sample} has {masks.Count} instance masks and {boxCount} boxes; mask i is the object of box i.";
        }

        if (targets.Labels is { } labels)
        {
            for (int i = 0; i < labels.Count; i++)
            {
                if ((uint)labels[i] >= (uint)classes)
                {
                    return $"Sample {sample}: label {i} is class {labels[i]}; the dataset has {classes} classes.";
                }
            }
        }

        return null;
    }

    private int[] MakeFlipPermutation()
    {
        int k = KeypointNames.Count;
        var permutation = new int[k];
        for (int i = 0; i < k; i++)
        {
            permutation[i] = i;
        }

        foreach ((int left, int right) in FlipPairs)
        {
            if ((uint)left >= (uint)k || (uint)right >= (uint)k || left == right || permutation[left] != left || permutation[right] != right)
            {
                throw new ArgumentException($"Flip pair ({left}, {right}) must join two different keypoints of the {k} named, each in one pair only.", nameof(FlipPairs));
            }

            permutation[left] = right;
            permutation[right] = left;
        }

        foreach ((int from, int to) in Skeleton)
        {
            if ((uint)from >= (uint)k || (uint)to >= (uint)k)
            {
                throw new ArgumentException($"Skeleton edge ({from}, {to}) must join keypoints of the {k} named.", nameof(Skeleton));
            }
        }

        if (Kinds.HasFlag(TargetKinds.Keypoints) && k == 0)
        {
            throw new ArgumentException($"A dataset with {nameof(TargetKinds.Keypoints)} must name them ({nameof(KeypointNames)}).", nameof(KeypointNames));
        }

        return permutation;
    }

    /// <inheritdoc />
    public override string ToString() => $"targets {Kinds}, {ClassNames.Count} classes" + (KeypointNames.Count > 0 ? $", {KeypointNames.Count} keypoints" : "");
}
