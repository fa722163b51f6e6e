using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// The declared contracts of augmentations (<see cref="IAugmentation.HandlesAnyChannelOrder"/>, <see cref="IAugmentation.OutputSize"/>)
/// applied to lists: what the graph and the options' checks ask, and how combinators join their transforms' answers.
/// </summary>
internal static class AugmentationContracts
{
    /// <summary>True when <paramref name="augmentation"/> may see 3-channel images in either order (see <see cref="IAugmentation.HandlesAnyChannelOrder"/>).</summary>
    public static bool HandlesAnyChannelOrder(IAugmentation augmentation) => augmentation.HandlesAnyChannelOrder;

    /// <summary>True when every transform of <paramref name="augmentations"/> may see either order.</summary>
    public static bool HandleAnyChannelOrder(IEnumerable<IAugmentation> augmentations) => augmentations.All(HandlesAnyChannelOrder);

    /// <summary>
    /// What a combinator of <paramref name="augmentations"/> does to targets: undeclared when one is, else it records geometry
    /// when one does, else pixels only.
    /// </summary>
    public static Targets.TargetBehavior TargetBehavior(IEnumerable<IAugmentation> augmentations)
    {
        var result = Targets.TargetBehavior.PixelsOnly;
        foreach (IAugmentation augmentation in augmentations)
        {
            Targets.TargetBehavior behavior = augmentation.TargetBehavior;
            if (behavior == Targets.TargetBehavior.Undeclared)
            {
                return behavior;
            }

            if (behavior == Targets.TargetBehavior.RecordsGeometry)
            {
                result = behavior;
            }
        }

        return result;
    }

    /// <summary>The size after applying <paramref name="augmentations"/> in order to an <paramref name="input"/>-sized image; null when one is undeclared.</summary>
    public static Size? Sequence(IEnumerable<IAugmentation> augmentations, Size input)
    {
        Size? size = input;
        foreach (IAugmentation augmentation in augmentations)
        {
            size = size is Size known ? augmentation.OutputSize(known) : null;
        }

        return size;
    }

    /// <summary>
    /// The size after one of several outcomes: null when one is undeclared, else the first that differs from
    /// <paramref name="input"/>, else <paramref name="input"/>.
    /// </summary>
    public static Size? Either(IEnumerable<Size?> outcomes, Size input)
    {
        Size result = input;
        foreach (Size? outcome in outcomes)
        {
            if (outcome is not Size size)
            {
                return null;
            }

            if (result == input && size != input)
            {
                result = size;
            }
        }

        return result;
    }

    /// <summary>
    /// Why <paramref name="augmentations"/> cannot end at <paramref name="target"/> (naming the transform whose declared size
    /// is the last one), or null when they can or when a transform does not declare its size. Null entries are passed over.
    /// </summary>
    public static string? OutputSizeFailure(IReadOnlyList<IAugmentation> augmentations, Size target, string name)
    {
        Size size = target;
        int changedAt = -1;
        for (int i = 0; i < augmentations.Count; i++)
        {
            if (augmentations[i] is not IAugmentation augmentation)
            {
                continue;
            }

            if (augmentation.OutputSize(size) is not Size next)
            {
                return null;
            }

            if (next != size)
            {
                changedAt = i;
                size = next;
            }
        }

        return size == target ? null
            : $"Parameter \"{name}\" must give images of the target size {target.Width}x{target.Height}, was {size.Width}x{size.Height} from [{changedAt}] {augmentations[changedAt]}.";
    }
}
