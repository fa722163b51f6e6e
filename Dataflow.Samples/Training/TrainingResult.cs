using Dataflow.Pipeline;

namespace Dataflow.Samples.Training;

/// <summary>A finished training run.</summary>
/// <param name="Model">The trained (or loaded and evaluated) model.</param>
/// <param name="Epochs">One result per epoch; for an evaluation-only run, one entry with no training rows.</param>
/// <param name="Training">The training pipeline's report, or null for an evaluation-only run.</param>
/// <param name="Validation">The validation pipeline's report, or null without a split.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
public sealed record TrainingResult(MlpClassifier Model, IReadOnlyList<EpochResult> Epochs, PipelineReport? Training, PipelineReport? Validation, TimeSpan Elapsed)
{
    /// <summary>The last epoch's validation accuracy, or null without a split.</summary>
    public double? FinalValidationAccuracy => Epochs.Count > 0 ? Epochs[^1].Validation?.Accuracy : null;

    /// <summary>The training loader's state after its last batch (saved with the model to resume), or null.</summary>
    public Dataflow.Pipeline.Distributed.PipelineState? LoaderState { get; init; }
}
