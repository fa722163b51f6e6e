using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Samples.Scan;

/// <summary>Boxes per image over the images of a dataset with boxes.</summary>
/// <param name="Total">Every box.</param>
/// <param name="Min">The fewest boxes of an image.</param>
/// <param name="Mean">The mean number of boxes of an image.</param>
/// <param name="Max">The most boxes of an image.</param>
/// <param name="Negatives">Images without a box.</param>
/// <param name="PerClass">Boxes of each class, indexed by the targets' class.</param>
public sealed record BoxCounts(long Total, int Min, double Mean, int Max, int Negatives, IReadOnlyList<long> PerClass);

/// <summary>What a dataset's samples carry beside their images, counted from discovery (no image is decoded for it).</summary>
/// <param name="Kinds">The kinds the dataset declares.</param>
/// <param name="ClassNames">The targets' class names, indexed by class.</param>
/// <param name="Boxes">Box counts, or null when the dataset has no boxes.</param>
/// <param name="SemanticMasks">Images with a label map.</param>
/// <param name="InstanceMasks">Instance masks (one per box that has one).</param>
/// <param name="KeypointInstances">Instances with keypoints.</param>
/// <param name="LabelImages">For multi-label datasets, the images that carry each class (indexed by class), or null.</param>
/// <param name="Unlabelled">For multi-label datasets, the images with no label.</param>
public sealed record TargetSummary(TargetKinds Kinds, IReadOnlyList<string> ClassNames, BoxCounts? Boxes, int SemanticMasks, long InstanceMasks,
    long KeypointInstances, IReadOnlyList<int>? LabelImages, int Unlabelled)
{
    /// <summary>Counts the targets of <paramref name="set"/>'s samples; null when it has none (labels only).</summary>
    public static TargetSummary? Of(SampleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.TargetSchema is not TargetSchema schema)
        {
            return null;
        }

        int classes = schema.ClassNames.Count;
        bool hasBoxes = schema.Kinds.HasFlag(TargetKinds.Boxes), multiLabel = schema.Kinds.HasFlag(TargetKinds.MultiLabel);
        var boxesPerClass = new long[classes];
        var labelImages = new int[classes];
        long total = 0, instanceMasks = 0, keypoints = 0;
        int min = int.MaxValue, max = 0, negatives = 0, semantic = 0, unlabelled = 0;
        foreach (SampleInfo sample in set.Samples)
        {
            SampleTargets? targets = sample.Targets;
            int boxes = targets?.Boxes?.Count ?? 0;
            if (hasBoxes)
            {
                total += boxes;
                (min, max) = (Math.Min(min, boxes), Math.Max(max, boxes));
                negatives += boxes == 0 ? 1 : 0;
                foreach (int c in targets?.Boxes is { } b ? b.Classes : [])
                {
                    // The schema has checked each class against the names.
                    boxesPerClass[c]++;
                }
            }

            semantic += targets?.SemanticMask is null ? 0 : 1;
            instanceMasks += targets?.InstanceMasks?.Count ?? 0;
            keypoints += targets?.Keypoints?.InstanceCount ?? 0;
            if (multiLabel)
            {
                IReadOnlyList<int> labels = targets?.Labels ?? [];
                unlabelled += labels.Count == 0 ? 1 : 0;
                foreach (int c in labels.Distinct())
                {
                    labelImages[c]++;
                }
            }
        }

        int images = set.Samples.Count;
        BoxCounts? counts = hasBoxes ? new BoxCounts(total, images == 0 ? 0 : min, images == 0 ? 0 : (double)total / images, max, negatives, boxesPerClass) : null;
        return new TargetSummary(schema.Kinds, schema.ClassNames, counts, semantic, instanceMasks, keypoints, multiLabel ? labelImages : null, unlabelled);
    }
}
