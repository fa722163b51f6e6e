namespace Dataflow.Pipeline.Discovery;

/// <summary>One sample of a dataset: where it comes from and its label.</summary>
/// <param name="Index">Position in the discovered dataset (class-sorted order); stable for the same files.</param>
/// <param name="Id">What names the sample to a person: the file path for folder sources.</param>
/// <param name="Label">Class index into <see cref="SampleSet.ClassNames"/> (the class of the image as a whole).</param>
public sealed record SampleInfo(int Index, string Id, int Label)
{
    /// <summary>Anything the source needs to open the sample's bytes (in-memory sources keep the bytes here).</summary>
    public object? State { get; init; }

    /// <summary>What the sample carries beside its image (boxes, masks, keypoints, classes, text), or null for its label only.</summary>
    /// <remarks>In source pixels; the set's <see cref="SampleSet.TargetSchema"/> says what the kinds and indices mean.</remarks>
    public Targets.SampleTargets? Targets { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"#{Index} {Id}";
}
