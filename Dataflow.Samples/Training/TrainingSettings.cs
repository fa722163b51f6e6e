namespace Dataflow.Samples.Training;

/// <summary>The trainer's choices (the pipeline's are in <see cref="Commands.PipelineSettings"/>).</summary>
/// <param name="Model">Softmax regression or MLP.</param>
/// <param name="Hidden">Hidden units of the MLP.</param>
/// <param name="Sgd">Optimiser settings.</param>
public sealed record TrainingSettings(ModelKind Model, int Hidden, SgdSettings Sgd);
