namespace Dataflow.Pipeline;

/// <summary>A sample left out of its batch, and why.</summary>
/// <param name="Path">The sample's path (or id).</param>
/// <param name="Epoch">The epoch in which it failed.</param>
/// <param name="Stage">The stage that failed: read, decode, augment, normalize or a user stage.</param>
/// <param name="Reason">The error message.</param>
public sealed record SkippedSample(string Path, int Epoch, string Stage, string Reason);
