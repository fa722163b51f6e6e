namespace Dataflow.Pipeline;

/// <summary>A sample could not get through a stage; the message names the file, the stage and the reason.</summary>
public sealed class SampleFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SampleFailedException(string path, string stage, Exception inner)
        : base($"{stage} failed for '{path}': {inner?.Message}", inner)
    {
        Path = path;
        Stage = stage;
    }

    /// <summary>The sample's path (or id).</summary>
    public string Path { get; }

    /// <summary>The stage that failed.</summary>
    public string Stage { get; }
}
