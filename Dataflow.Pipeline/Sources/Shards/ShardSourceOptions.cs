using Dataflow.Pipeline.Internal;

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

    /// <summary>
    /// Read each epoch's shards as streams (one ranged request per shard, in the planned order) when the plan allows it
    /// within <see cref="MaxSamplesHeld"/> and <see cref="StorageOptions.MaxBytesInFlight"/>; false reads every sample
    /// with its own positional read or ranged GET. Either way the batches are the same.
    /// </summary>
    /// <value>true.</value>
    public bool Streaming { get; init; } = true;

    /// <summary>
    /// The most samples a shard stream holds, read ahead of their turn (a plan whose order needs more is read sample by
    /// sample). With <see cref="ShardShufflePlanner"/> a stream needs at most its buffer size.
    /// </summary>
    /// <value>4096.</value>
    public int MaxSamplesHeld { get; init; } = 4096;

    /// <summary>
    /// Image members with more bytes are not read: the sample is skipped (or, with <see cref="ErrorPolicy.FailFast"/>,
    /// faults the run) with a reason naming the member, its size and this option. A streamed shard passes over such a
    /// member in small steps without holding it. The shard source's counterpart of <see cref="PipelineOptions.MaxFileBytes"/>.
    /// </summary>
    /// <value>268 435 456 (256 MiB, as <see cref="PipelineOptions.MaxFileBytes"/>); 1 to 2 147 483 591 (the largest array).</value>
    public long MaxMemberBytes { get; init; } = PipelineOptions.DefaultMaxFileBytes;

    /// <summary>Checks every value, and the storage options; one exception lists every failure.</summary>
    /// <exception cref="PipelineOptionsException">A value is out of range; one exception lists every failure, each naming the option, the allowed values and the value given.</exception>
    public void Validate()
    {
        var checks = new OptionChecks();
        checks.Add(nameof(MaxSamplesHeld), MaxSamplesHeld < 1 ? $"Parameter \"MaxSamplesHeld\" must be at least 1, was {MaxSamplesHeld}." : null);
        checks.InRange(MaxMemberBytes, 1, Array.MaxLength, nameof(MaxMemberBytes));
        Storage.Check(checks);
        checks.ThrowIfAny();
    }
}
