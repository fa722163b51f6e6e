namespace Dataflow.Pipeline;

/// <summary>What to do with a sample that cannot be read or decoded.</summary>
public enum ErrorPolicy
{
    /// <summary>Leave it out of its batch and list it (path and reason) in the run's report.</summary>
    SkipAndReport,
    /// <summary>Fault the run with an exception that names the file.</summary>
    FailFast,
}
