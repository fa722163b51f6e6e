namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// Samples held compactly by a source, each <see cref="SampleInfo"/> made when it is asked for: runs of consecutive
/// samples in one folder and class, and each sample's file name as UTF-8. What needs every sample's label or id (the
/// report's counts per class, the dataset's fingerprint) reads them from here without making a million objects.
/// </summary>
/// <remarks>Sample <c>i</c>'s <see cref="SampleInfo.Id"/> is its run's folder followed by <see cref="NameOf"/>.</remarks>
internal interface ICompactSamples : IReadOnlyList<SampleInfo>
{
    /// <summary>The runs, in order: the first sample's index, the folder (the ids' common start, ending with a separator) and the class.</summary>
    IReadOnlyList<(int Start, string Folder, int Label)> Runs { get; }

    /// <summary>The label of sample <paramref name="index"/>.</summary>
    int LabelOf(int index);

    /// <summary>The file name of sample <paramref name="index"/> (its id after the run's folder), as UTF-8.</summary>
    ReadOnlySpan<byte> NameOf(int index);
}
