using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline.Sources;

/// <summary>Options of <see cref="ShardWriter.Pack"/>.</summary>
public sealed class PackOptions
{
    /// <summary>
    /// The size a shard is filled up to: a sample goes to a new shard when it would take the current one past this
    /// size (a shard holds at least one sample, so one larger image makes one larger shard).
    /// </summary>
    /// <value>256 MiB, within the 100 MB to 1 GB that WebDataset recommends.</value>
    public long TargetShardBytes { get; init; } = 256L << 20;

    /// <summary>Shuffle the samples across shards at write time from <see cref="Seed"/>; false keeps class-sorted order.</summary>
    /// <value>false.</value>
    public bool Shuffle { get; init; }

    /// <summary>The seed of the write-time shuffle.</summary>
    /// <value>0.</value>
    public int Seed { get; init; }

    /// <summary>The shards' file name prefix; shards are named <c>{prefix}{number:D6}.tar</c>.</summary>
    /// <value><c>shard-</c>.</value>
    public string NamePrefix { get; init; } = "shard-";

    /// <summary>
    /// Image files with more bytes are refused, naming the file, as the pipeline refuses them
    /// (<see cref="PipelineOptions.MaxFileBytes"/>); files are copied into the shard as a stream, never held whole.
    /// </summary>
    /// <value>256 MiB, the pipeline's default.</value>
    public long MaxFileBytes { get; init; } = PipelineOptions.DefaultMaxFileBytes;

    /// <summary>Checks every value; one exception lists every failure.</summary>
    /// <exception cref="PipelineOptionsException">A value is out of range; one exception lists every failure, each naming the option, the allowed values and the value given.</exception>
    public void Validate()
    {
        var checks = new OptionChecks();
        Check(checks);
        checks.ThrowIfAny();
    }

    /// <summary>Adds a failure to <paramref name="checks"/> for every value out of range.</summary>
    internal void Check(OptionChecks checks)
    {
        if (TargetShardBytes < 4096)
        {
            checks.Add(nameof(TargetShardBytes), $"Parameter \"TargetShardBytes\" must be at least 4096, was {TargetShardBytes}.");
        }

        if (MaxFileBytes < 1)
        {
            checks.Add(nameof(MaxFileBytes), $"Parameter \"MaxFileBytes\" must be at least 1, was {MaxFileBytes}.");
        }

        if (string.IsNullOrEmpty(NamePrefix) || NamePrefix.IndexOfAny(['/', '\\', '.']) >= 0)
        {
            checks.Add(nameof(NamePrefix), $"Parameter \"NamePrefix\" must be a non-empty file name without '/', '\\' or '.', was \"{NamePrefix}\".");
        }
    }
}
