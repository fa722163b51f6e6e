using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// The built-in planner: a seeded permutation of the whole selection each epoch (or the selection as it is),
/// cut into batches, with an optional seeded shuffle of the rows within each batch.
/// </summary>
/// <remarks>
/// The epoch's order is drawn from (seed, epoch) and each batch's rows from (seed, epoch, batch), so the plan
/// depends on nothing but these numbers and the selection.
/// </remarks>
public sealed class EpochPlanner : IEpochPlanner
{
    /// <summary>Creates a planner.</summary>
    /// <param name="batchSize">Positions per batch.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="shuffle">Permute the whole order each epoch.</param>
    /// <param name="shuffleWithinBatch">Permute the rows of each batch.</param>
    /// <param name="dropLast">Leave out a short last batch.</param>
    public EpochPlanner(int batchSize, long seed, bool shuffle = true, bool shuffleWithinBatch = true, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        ShuffleWithinBatch = shuffleWithinBatch;
        DropLast = dropLast;
    }

    /// <summary>Creates the planner that <paramref name="options"/> describe.</summary>
    public static EpochPlanner For(PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EpochPlanner(options.BatchSize, options.Seed, options.Shuffle, options.ShuffleWithinBatch, options.DropLast);
    }

    /// <summary>Positions per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The run's seed.</summary>
    public long Seed { get; }

    /// <summary>Whether each epoch permutes the whole order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether each batch permutes its rows.</summary>
    public bool ShuffleWithinBatch { get; }

    /// <summary>Whether a short last batch is left out.</summary>
    public bool DropLast { get; }

    /// <inheritdoc />
    public EpochPlan Plan(SampleSet set, ReadOnlySpan<int> selected, int epoch)
    {
        ArgumentNullException.ThrowIfNull(set);
        int[] order = Order(selected, epoch);
        int kept = DropLast ? order.Length / BatchSize * BatchSize : order.Length;
        int dropped = order.Length - kept;
        if (dropped > 0)
        {
            Array.Resize(ref order, kept);
        }

        int[] rows = new int[kept];
        for (int start = 0, batch = 0; start < kept; start += BatchSize, batch++)
        {
            ArrangeRows(rows.AsSpan(start, Math.Min(BatchSize, kept - start)), epoch, batch);
        }

        return new EpochPlan(epoch, BatchSize, order, rows, dropped);
    }

    /// <summary>
    /// The epoch's global order: the selection permuted from (seed, epoch) when <see cref="Shuffle"/> is on, else as
    /// it is. The same in every process; a partition of an epoch between processes cuts this order.
    /// </summary>
    public int[] Order(ReadOnlySpan<int> selected, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int[] order = selected.ToArray();
        if (Shuffle)
        {
            new SampleRandom(Seed, RandomStreams.EpochOrder, epoch).Shuffle<int>(order);
        }

        return order;
    }

    /// <summary>
    /// Fills <paramref name="rows"/> with the rows of batch <paramref name="batch"/> of <paramref name="epoch"/>:
    /// 0, 1, … permuted from (seed, epoch, batch) when <see cref="ShuffleWithinBatch"/> is on.
    /// </summary>
    public void ArrangeRows(Span<int> rows, int epoch, int batch)
    {
        for (int j = 0; j < rows.Length; j++)
        {
            rows[j] = j;
        }

        if (ShuffleWithinBatch)
        {
            new SampleRandom(Seed, RandomStreams.BatchRows, epoch, batch).Shuffle(rows);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"EpochPlanner(batch {BatchSize}, seed {Seed}, shuffle {Shuffle}, rows shuffled {ShuffleWithinBatch}, drop last {DropLast})";
}
