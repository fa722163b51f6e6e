using Dataflow.Pipeline.Augmentation;

namespace Dataflow.Pipeline.Targets;

/// <summary>What a run with targets refuses before it reads a sample: parts that would leave targets behind the pixels.</summary>
internal static class TargetChecks
{
    /// <summary>Why <paramref name="options"/> cannot run a dataset with <paramref name="schema"/> (naming the part), or null.</summary>
    public static string? Problem(PipelineOptions options, TargetSchema? schema, IReadOnlyList<ImagePipeline.UserStage> userStages)
    {
        if (schema is null)
        {
            return null;
        }

        string kinds = schema.Kinds == TargetKinds.None ? "targets" : $"targets ({schema.Kinds})";
        for (int i = 0; i < options.Augmentations.Count; i++)
        {
            IAugmentation augmentation = options.Augmentations[i];
            if (augmentation.TargetBehavior == TargetBehavior.Undeclared)
            {
                return $"Augmentation [{i}] {ImageSample.Describe(augmentation)} does not declare what it does to targets, and the dataset has {kinds}: "
                    + $"implement {nameof(IAugmentation)}.{nameof(IAugmentation.TargetBehavior)} ({nameof(TargetBehavior.PixelsOnly)}, or {nameof(TargetBehavior.RecordsGeometry)} with AugmentationContext.RecordGeometry for each move).";
            }
        }

        if (options.BatchAugmentations.Count > 0 && (schema.Kinds & ~(TargetKinds.Text)) != 0)
        {
            return $"Batch augmentation [0] {ImageSample.Describe(options.BatchAugmentations[0])} mixes rows, which is not defined for {kinds}: remove it from {nameof(PipelineOptions.BatchAugmentations)} for this dataset.";
        }

        foreach (ImagePipeline.UserStage stage in userStages)
        {
            if (stage.Position != StagePosition.AfterRead)
            {
                return $"The stage '{stage.Name}' ({stage.Position}) may change the image without moving its {kinds}: with targets, add stages after read only.";
            }
        }

        return null;
    }
}
