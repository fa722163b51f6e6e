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

    /// <summary>Creates a plan; <paramref name="rows"/> must map the positions of each batch one-to-one onto its rows.</summary>
    /// <exception cref="ArgumentException">The arrays differ in length, or a batch's rows are not a permutation.</exception>
    public EpochPlan(int epoch, int batchSize, int[] order, int[] rows, int dropped)
    {
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

    /// <summary>The number of positions in batch <paramref name="batch"/>.</summary>
    public int BatchLength(int batch) => Math.Min(BatchSize, _order.Length - batch * BatchSize);

    /// <inheritdoc />
    public override string ToString() => $"epoch {Epoch}: {Count} positions in {BatchCount} batches of {BatchSize}, {Dropped} dropped";
}
