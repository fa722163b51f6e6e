namespace Dataflow.Samples.Commands;

/// <summary>The samples app's settings name their dataset.</summary>
public sealed partial record PipelineSettings
{
    /// <summary>The dataset.</summary>
    public required DatasetLocation Dataset { get; init; }
}
