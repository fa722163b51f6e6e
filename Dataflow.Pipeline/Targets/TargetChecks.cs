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
            if (stage.Position != StagePosition.AfterRead && stage.Targets != TargetBehavior.PixelsOnly)
            {
                return $"The stage '{stage.Name}' ({stage.Position}) may change the image without moving its {kinds}: with targets, a stage after decode or augment must change pixel values only "
                    + $"and say so (AddStage(position, name, action, {nameof(TargetBehavior)}.{nameof(TargetBehavior.PixelsOnly)})); one that moves pixels is an augmentation that records its geometry.";
            }
        }

        return null;
    }
}
