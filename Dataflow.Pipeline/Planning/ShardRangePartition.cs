using Dataflow.Pipeline.Distributed;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// What remains of a streamed epoch split between ranks: each rank is given a contiguous run of the remaining samples in
/// stream order (whole shards, and at most part of a shard at each end), sized by the exact-step-count rule
/// (<see cref="StepShare"/>), and takes them in mixed order. A pure function of (order, remaining, batch size, world
/// size, policy, drop-last), the same in every process.
/// </summary>
/// <remarks>
/// <para>A rank therefore reads only its own shards (one request per shard), the ranks together about the dataset's bytes
/// once; every remaining sample is given to exactly one rank. A rank's sample at its position q was handed on by the
/// buffer at a mixed position g, and what the rank reads before it and has not handed on was in the buffer at g: a
/// rank holds at most the buffer's size, as one process does.</para>
/// <para>With one rank and the whole epoch remaining, the plan is the mixed order itself.</para>
/// </remarks>
internal sealed class ShardRangePartition
{
    private readonly int[][] _given;
    private readonly int[] _low;
    private readonly int[] _high;
    private readonly StepShare[] _shares;

    private ShardRangePartition(ShardBufferOrder order, RemainingSamples remaining, int batchSize, int[][] given, int[] low, int[] high, StepShare[] shares, int count)
    {
        Order = order;
        Remaining = remaining;
        BatchSize = batchSize;
        _given = given;
        _low = low;
        _high = high;
        _shares = shares;
        RemainingCount = count;
    }

    public ShardBufferOrder Order { get; }

    public RemainingSamples Remaining { get; }

    public int BatchSize { get; }

    public int WorldSize => _given.Length;

    /// <summary>Samples that remained before this plan.</summary>
    public int RemainingCount { get; }

    /// <summary>Splits <paramref name="remaining"/> of <paramref name="order"/> between <paramref name="worldSize"/> ranks.</summary>
    public static ShardRangePartition Of(ShardBufferOrder order, RemainingSamples remaining, int batchSize, int worldSize, RemainderPolicy policy, bool dropLast)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(remaining);
        int[] members = remaining.Members(order);
        int[] owner = new int[order.Count];
        owner.AsSpan().Fill(-1);
        var shares = new StepShare[worldSize];
        var given = new int[worldSize][];
        int[] low = new int[worldSize], high = new int[worldSize];
        for (int r = 0; r < worldSize; r++)
        {
            StepShare share = shares[r] = StepShare.Of(members.Length, batchSize, worldSize, r, policy, dropLast);
            int from = (int)((long)r * share.FullSteps * batchSize + share.TakeFrom);
            int count = (int)share.Given(batchSize);
            given[r] = new int[count];
            for (int i = from; i < from + count; i++)
            {
                owner[members[i]] = r;
            }

            (low[r], high[r]) = count == 0 ? (0, 0) : (members[from], members[from + count - 1] + 1);
        }

        // Each rank's samples in mixed order: one pass over the epoch's mixed order.
        int[] filled = new int[worldSize];
        foreach (int s in order.Mixed)
        {
            int r = owner[s];
            if (r >= 0)
            {
                given[r][filled[r]++] = s;
            }
        }

        return new ShardRangePartition(order, remaining, batchSize, given, low, high, shares, members.Length);
    }

    /// <summary>Rank <paramref name="rank"/>'s share by the step rule.</summary>
    public StepShare Share(int rank) => _shares[rank];

    /// <summary>The stream positions given to <paramref name="rank"/>, in mixed order.</summary>
    public ReadOnlySpan<int> Given(int rank) => _given[rank];

    /// <summary>
    /// Rank <paramref name="rank"/>'s planned samples (indices into the set): the ones it keeps in mixed order, then, when
    /// it pads, a repeat of one of the epoch's first samples in mixed order.
    /// </summary>
    public int[] Planned(int rank, out bool padded)
    {
        StepShare share = _shares[rank];
        int kept = (int)share.Kept(BatchSize);
        padded = share.Pad;
        int[] planned = new int[kept + (padded ? 1 : 0)];
        int[] mine = _given[rank];
        for (int i = 0; i < kept; i++)
        {
            planned[i] = Order.Stream[mine[i]];
        }

        if (padded)
        {
            // As the built-in order and PyTorch's DistributedSampler: from the start of the epoch's (mixed) order, which no
            // resumption moves (a repeat of the rank's own last sample would change once that was consumed).
            planned[^1] = Order.SampleAt((rank - share.Extra) % Order.Count);
        }

        return planned;
    }

    /// <summary>What remains once every rank has taken <paramref name="steps"/> batches of this plan (fewer than its last).</summary>
    public RemainingSamples After(int steps)
    {
        var ranges = new List<RemainingRange>();
        for (int r = 0; r < WorldSize; r++)
        {
            if (_low[r] == _high[r])
            {
                continue;
            }

            int consumed = (int)Math.Min((long)steps * BatchSize, _shares[r].Kept(BatchSize));
            int after = consumed > 0 ? Order.MixedAt[_given[r][consumed - 1]] + 1 : 0;
            foreach (RemainingRange range in Remaining.Ranges)
            {
                int from = Math.Max(range.From, _low[r]), to = Math.Min(range.To, _high[r]);
                if (from < to)
                {
                    ranges.Add(new RemainingRange(from, to, Math.Max(range.After, after)));
                }
            }
        }

        return new RemainingSamples(ranges);
    }
}
