using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// The global order of a streamed epoch over shards, the same in every process: the <em>stream</em> (the shards in their
/// (seed, epoch) order, each one's selected samples in file order) and the <em>mixed</em> order (the stream passed
/// through a seeded shuffle buffer of <c>BufferSize</c> samples, as WebDataset's <c>shuffle(n)</c>). A pure function of
/// (selection, seed, epoch, buffer size).
/// </summary>
/// <remarks>
/// Positions are stream positions: <see cref="Mixed"/>[g] is the stream position handed on at mixed position g, and
/// <see cref="MixedAt"/> the inverse. A sample at mixed position g is at most <c>g + BufferSize - 1</c> places into the
/// stream, and every sample read before it and not yet handed on is in the buffer: at most <c>BufferSize</c>.
/// </remarks>
internal sealed class ShardBufferOrder
{
    private ShardBufferOrder(int epoch, int[] stream, int[] mixed)
    {
        Epoch = epoch;
        Stream = stream;
        Mixed = mixed;
        MixedAt = new int[mixed.Length];
        for (int g = 0; g < mixed.Length; g++)
        {
            MixedAt[mixed[g]] = g;
        }
    }

    public int Epoch { get; }

    /// <summary>The sample index at each stream position.</summary>
    public int[] Stream { get; }

    /// <summary>The stream position at each mixed position.</summary>
    public int[] Mixed { get; }

    /// <summary>The mixed position of each stream position.</summary>
    public int[] MixedAt { get; }

    /// <summary>Positions in the epoch.</summary>
    public int Count => Stream.Length;

    /// <summary>The sample index at mixed position <paramref name="g"/>.</summary>
    public int SampleAt(int g) => Stream[Mixed[g]];

    /// <summary>The order of <paramref name="epoch"/>.</summary>
    /// <exception cref="ArgumentException">A selected sample was not discovered by a shard, Parquet or TFRecord source.</exception>
    public static ShardBufferOrder Of(SampleSet set, ReadOnlySpan<int> selected, long seed, int bufferSize, int epoch)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        int[] stream = StreamOf(set, selected, seed, epoch);
        int n = stream.Length;
        int[] mixed = new int[n];
        var random = new SampleRandom(seed, RandomStreams.ShuffleBuffer, epoch);
        int[] buffer = new int[Math.Min(bufferSize, Math.Max(1, n))];
        int held = 0, emitted = 0;
        for (int s = 0; s < n; s++)
        {
            if (held < buffer.Length)
            {
                buffer[held++] = s;
                continue;
            }

            int j = random.NextInt(held);
            mixed[emitted++] = buffer[j];
            buffer[j] = s;
        }

        while (held > 0)
        {
            int j = random.NextInt(held);
            mixed[emitted++] = buffer[j];
            buffer[j] = buffer[--held];
        }

        return new ShardBufferOrder(epoch, stream, mixed);
    }

    /// <summary>The epoch's shard stream: the shards in their (seed, epoch) order, each one's selected samples in file order.</summary>
    internal static int[] StreamOf(SampleSet set, ReadOnlySpan<int> selected, long seed, int epoch)
    {
        // Members by shard ordinal (a list of lists: the shared precompiled code of references, not a sorted
        // dictionary over int compiled at start-up).
        var byShard = new List<List<int>?>();
        foreach (int index in selected)
        {
            SampleInfo sample = set.Samples[index];
            int shard = sample.State is IShardPosition position
                ? position.Shard
                : throw new ArgumentException($"Sample {sample} was not discovered by a {nameof(ShardSampleSource)}, ParquetSampleSource or {nameof(TFRecordSampleSource)}: a shard planner needs shards.", nameof(set));
            while (byShard.Count <= shard)
            {
                byShard.Add(null);
            }

            (byShard[shard] ??= []).Add(index);
        }

        var present = new List<int>();
        for (int shard = 0; shard < byShard.Count; shard++)
        {
            if (byShard[shard] is not null)
            {
                present.Add(shard);
            }
        }

        int[] shards = [.. present];
        new SampleRandom(seed, RandomStreams.ShardOrder, epoch).Shuffle<int>(shards);
        var stream = new int[selected.Length];
        int next = 0;
        foreach (int shard in shards)
        {
            foreach (int index in byShard[shard]!)
            {
                stream[next++] = index;
            }
        }

        return stream;
    }
}
