namespace Dataflow.Pipeline.Discovery;

/// <summary>One sample of a dataset: where it comes from and its label.</summary>
/// <param name="Index">Position in the discovered dataset (class-sorted order); stable for the same files.</param>
/// <param name="Id">What names the sample to a person: the file path for folder sources.</param>
/// <param name="Label">Class index into <see cref="SampleSet.ClassNames"/>.</param>
public sealed record SampleInfo(int Index, string Id, int Label)
{
    /// <summary>Anything the source needs to open the sample's bytes (in-memory sources keep the bytes here).</summary>
    public object? State { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"#{Index} {Id}";
}
