namespace Dataflow.Pipeline.Discovery;

/// <summary>A file or folder found during discovery that is not a sample, and why.</summary>
public sealed record IgnoredEntry(string Path, string Reason);
