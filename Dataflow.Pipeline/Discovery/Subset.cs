namespace Dataflow.Pipeline.Discovery;

/// <summary>Which part of a validation split a pipeline streams.</summary>
public enum Subset
{
    /// <summary>The training part (everything when there is no split).</summary>
    Training,

    /// <summary>The validation part.</summary>
    Validation,
}
