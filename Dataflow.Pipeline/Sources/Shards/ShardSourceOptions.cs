namespace Dataflow.Pipeline.Sources;

/// <summary>Options of a <see cref="ShardSampleSource"/>.</summary>
public sealed class ShardSourceOptions
{
    /// <summary>How object storage is reached (local folders ignore it).</summary>
    public StorageOptions Storage { get; init; } = StorageOptions.Default;

    /// <summary>
    /// The class names, indexed by label, for shards without an index; null to take the index's names, or else the
    /// sorted <c>class</c> fields, or else <c>"0"</c>..<c>"N-1"</c> for <c>cls</c> indices.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// Read the index (<see cref="ShardIndex.FileName"/>) beside the shards when there is one; false scans every shard.
    /// </summary>
    /// <value>true.</value>
    public bool UseIndex { get; init; } = true;

    /// <summary>
    /// Also check every shard's SHA-256 against the index at the start (reads every shard once). Sizes are always
    /// checked, with one listing.
    /// </summary>
    /// <value>false.</value>
    public bool VerifyHashes { get; init; }
}
