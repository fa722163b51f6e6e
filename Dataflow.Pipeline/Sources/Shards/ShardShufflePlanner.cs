using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The epoch order that streaming shards allows: the shards in a seeded order per epoch, each read front to back,
/// through a seeded shuffle buffer of <see cref="BufferSize"/> samples (as WebDataset's <c>shuffle(n)</c>), cut into
/// batches. Use it with a <see cref="ShardSampleSource"/>, a <c>ParquetSampleSource</c> (row groups as shards) or a
/// <see cref="TFRecordSampleSource"/> (files as shards) (<see cref="ImagePipelineBuilder.UsePlanner"/>).
/// </summary>
/// <remarks>
/// <para>The plan is a pure function of (selection, seed, epoch, buffer size): the shard order is drawn from
/// (seed, epoch), the buffer's draws from another stream of (seed, epoch), so batches are bit-identical whatever the
/// stages' parallelism, and every selected sample is in the epoch exactly once.</para>
/// <para>Position <c>p</c> of the plan is a sample at most <c>p + BufferSize - 1</c> places into the epoch's shard
/// stream: a reader that streams the shards in this order holds at most about <see cref="BufferSize"/> samples it has
/// read and not yet handed on. <see cref="BufferSize"/> 1 reads every shard in file order, shards shuffled; a buffer
/// as large as the selection is a full shuffle.</para>
/// </remarks>
public sealed class ShardShufflePlanner : IEpochPlanner
{
    private readonly EpochPlanner _batches;

    /// <summary>Creates a planner.</summary>
    /// <param name="batchSize">Positions per batch.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="bufferSize">Samples in the shuffle buffer, at least 1.</param>
    /// <param name="shuffleWithinBatch">Permute the rows of each batch.</param>
    /// <param name="dropLast">Leave out a short last batch.</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public ShardShufflePlanner(int batchSize, long seed, int bufferSize, bool shuffleWithinBatch = true, bool dropLast = false)
    {
        if (bufferSize < 1)
        {
            throw new ArgumentException($"Parameter \"BufferSize\" must be at least 1, was {bufferSize}.", nameof(bufferSize));
        }

        // Rows within batches and drop-last as the built-in planner does them; the order is this planner's own.
        _batches = new EpochPlanner(batchSize, seed, shuffle: false, shuffleWithinBatch, dropLast);
        Seed = seed;
        BufferSize = bufferSize;
    }

    /// <summary>Creates the planner for <paramref name="options"/> (batch size, seed, rows, drop-last) with a buffer of <paramref name="bufferSize"/>.</summary>
    public static ShardShufflePlanner For(PipelineOptions options, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ShardShufflePlanner(options.BatchSize, options.Seed, bufferSize, options.ShuffleWithinBatch, options.DropLast);
    }

    /// <summary>The run's seed.</summary>
    public long Seed { get; }

    /// <summary>Samples in the shuffle buffer.</summary>
    public int BufferSize { get; }

    /// <summary>Positions per batch.</summary>
    internal int BatchSize => _batches.BatchSize;

    /// <summary>Whether each batch permutes its rows.</summary>
    internal bool ShuffleWithinBatch => _batches.ShuffleWithinBatch;

    /// <summary>Whether a short last batch is left out.</summary>
    internal bool DropLast => _batches.DropLast;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A selected sample was not discovered by a shard, Parquet or TFRecord source.</exception>
    public EpochPlan Plan(SampleSet set, ReadOnlySpan<int> selected, int epoch)
    {
        ArgumentNullException.ThrowIfNull(set);
        ShardBufferOrder mixed = ShardBufferOrder.Of(set, selected, Seed, BufferSize, epoch);
        int[] order = new int[mixed.Count];
        for (int g = 0; g < order.Length; g++)
        {
            order[g] = mixed.SampleAt(g);
        }

        return _batches.Plan(set, order, epoch);
    }

    /// <summary>The epoch's shard stream: the shards in their (seed, epoch) order, each one's selected samples in file order.</summary>
    internal static int[] StreamOrder(SampleSet set, ReadOnlySpan<int> selected, long seed, int epoch) => ShardBufferOrder.StreamOf(set, selected, seed, epoch);

    /// <inheritdoc />
    public override string ToString() => $"ShardShufflePlanner(buffer {BufferSize}, seed {Seed}, {_batches})";
}
