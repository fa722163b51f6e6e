namespace Dataflow.Pipeline.Planning;

/// <summary>
/// One epoch as plain data: which samples, in what order, cut into batches, and the row of each sample in its
/// batch. Made by an <see cref="IEpochPlanner"/>; the graph only follows it.
/// </summary>
/// <remarks>
/// Position <c>p</c> of the epoch holds sample <c>Order[p]</c> (an index into the discovered
/// <see cref="Discovery.SampleSet.Samples"/>), belongs to batch <c>p / BatchSize</c> and lands in row
/// <c>Rows[p]</c> of that batch. Every batch is full except possibly the last.
/// </remarks>
public sealed class EpochPlan
{
    private readonly int[] _order;
    private readonly int[] _rows;
    private readonly bool[]? _repeats;

    /// <summary>Creates a plan; <paramref name="rows"/> must map the positions of each batch one-to-one onto its rows.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="batchSize">Positions per batch.</param>
    /// <param name="order">The sample index at each position.</param>
    /// <param name="rows">The row of each position within its batch.</param>
    /// <param name="dropped">Selected samples of the epoch that no batch holds.</param>
    /// <param name="firstBatch">The index of the plan's first batch in its epoch: above 0 for the rest of an epoch resumed part-way.</param>
    /// <param name="repeats">Per position, true where the sample repeats one the epoch already holds (padding that evens out
    /// the step counts of several processes); null for none.</param>
    /// <exception cref="ArgumentException">The arrays differ in length, or a batch's rows are not a permutation.</exception>
    public EpochPlan(int epoch, int batchSize, int[] order, int[] rows, int dropped, int firstBatch = 0, bool[]? repeats = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstBatch);
        if (repeats is not null && repeats.Length != order?.Length)
        {
            throw new ArgumentException($"The plan has {order?.Length} positions but {repeats.Length} repeat flags.", nameof(repeats));
        }

        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(dropped);
        if (rows.Length != order.Length)
        {
            throw new ArgumentException($"The plan has {order.Length} positions but {rows.Length} rows.", nameof(rows));
        }

        for (int start = 0; start < order.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, order.Length - start);
            ulong seen = 0;
            var seenLarge = count > 64 ? new bool[count] : null;
            for (int p = start; p < start + count; p++)
            {
                int row = rows[p];
                bool repeated = (uint)row >= (uint)count
                    || (seenLarge is null ? (seen & (1UL << row)) != 0 : seenLarge[row]);
                if (repeated)
                {
                    throw new ArgumentException($"Batch {start / batchSize} of epoch {epoch}: the rows of its positions are not a permutation of 0..{count - 1}.", nameof(rows));
                }

                if (seenLarge is null)
                {
                    seen |= 1UL << row;
                }
                else
                {
                    seenLarge[row] = true;
                }
            }
        }

        Epoch = epoch;
        BatchSize = batchSize;
        _order = order;
        _rows = rows;
        Dropped = dropped;
        FirstBatch = firstBatch;
        _repeats = repeats;
        RepeatCount = repeats is null ? 0 : repeats.Count(static r => r);
    }

    /// <summary>The epoch, from 0.</summary>
    public int Epoch { get; }

    /// <summary>Positions per batch (the last batch may have fewer).</summary>
    public int BatchSize { get; }

    /// <summary>The sample index at each position of the epoch.</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>The row of each position within its batch.</summary>
    public ReadOnlySpan<int> Rows => _rows;

    /// <summary>Positions in the epoch.</summary>
    public int Count => _order.Length;

    /// <summary>Batches in the epoch.</summary>
    public int BatchCount => (_order.Length + BatchSize - 1) / BatchSize;

    /// <summary>Selected samples the plan leaves out of this epoch (a short last batch under drop-last).</summary>
    public int Dropped { get; }

    /// <summary>The index in its epoch of the plan's first batch (0 unless the epoch was resumed part-way).</summary>
    public int FirstBatch { get; }

    /// <summary>Batches in the whole epoch: those before <see cref="FirstBatch"/> and this plan's.</summary>
    public int BatchesInEpoch => FirstBatch + BatchCount;

    /// <summary>Positions whose sample repeats one the epoch already holds (padding rows, weighted 0).</summary>
    public int RepeatCount { get; }

    /// <summary>True when position <paramref name="position"/> repeats a sample as padding.</summary>
    public bool IsRepeat(int position) => _repeats is not null && _repeats[position];

    /// <summary>For a streamed epoch split between ranks by <see cref="ShardRangePartition"/>: that split (what every rank was given), from which the state after each batch follows.</summary>
    internal ShardRangePartition? Ranges { get; init; }

    /// <summary>The number of positions in batch <paramref name="batch"/>.</summary>
    public int BatchLength(int batch) => Math.Min(BatchSize, _order.Length - batch * BatchSize);

    /// <inheritdoc />
    public override string ToString() => $"epoch {Epoch}: {Count} positions in {BatchCount} batches of {BatchSize}, {Dropped} dropped, {RepeatCount} repeated, from batch {FirstBatch}";
}
