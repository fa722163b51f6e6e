using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline.Distributed;

/// <summary>
/// The built-in planner: one global order per epoch from (seed, epoch) (that of <see cref="EpochPlanner"/>), the same
/// in every process without communication, of which each rank takes its part; it can start an epoch part-way, from
/// a saved <see cref="PipelineState"/>.
/// </summary>
/// <remarks>
/// <para>A global step covers <c>BatchSize × WorldSize</c> consecutive positions of the global order, starting at the
/// epoch's start position <c>P</c> (0, or a resumed state's): rank <c>r</c> takes the <c>r</c>-th run of
/// <c>BatchSize</c> of them. The last step's <c>L</c> positions, when fewer, are split as evenly as possible (each rank
/// <c>⌊L/W⌋</c> or <c>⌈L/W⌉</c>, contiguous) and settled by the <see cref="RemainderPolicy"/>; with
/// <c>DropLast</c> the whole short step is left out. So every sample of the epoch goes to exactly one rank (or is
/// dropped and counted), and with one process the batches are exactly <see cref="EpochPlanner"/>'s.</para>
/// <para>Batch <c>k</c> of an epoch shuffles its rows from (seed, epoch, k), and a sample's augmentation comes from
/// (seed, epoch, sample index), so neither depends on the rank or on where the run was resumed.</para>
/// <para>In the shard-buffer order (a <see cref="Sources.ShardShufflePlanner"/> given to
/// <see cref="ImagePipelineBuilder.UsePlanner"/>) the global order is the shards' stream mixed through the buffer, and
/// each rank is given a contiguous run of the stream instead (whole shards, part of one at each end), by the same step
/// rule, taken in mixed order: each rank streams only its own shards. A state then records the ranges of the stream
/// that remain, and a resumption at any world size splits them again.</para>
/// </remarks>
public sealed class PartitionPlanner : IEpochPlanner
{
    private readonly EpochPlanner _order;
    private readonly PipelineOptions _options;
    private readonly PipelineState? _resume;
    private readonly int _shuffleBuffer;
    private SampleSet? _set;
    private Lazy<PipelineStateIdentity>? _identity;

    /// <summary>Creates the planner of <paramref name="options"/> (rank and world size as set there: null means 0 of 1).</summary>
    /// <param name="options">The run's options.</param>
    /// <param name="resumeFrom">A saved state to continue from, or null to start at epoch 0.</param>
    /// <exception cref="ArgumentException">The state was saved with other options; the message names each difference.</exception>
    public PartitionPlanner(PipelineOptions options, PipelineState? resumeFrom = null)
        : this(options, resumeFrom, 0)
    {
    }

    /// <summary>The planner of <paramref name="options"/> in the shard-buffer order with a buffer of <paramref name="shuffleBuffer"/> samples (0: the built-in order).</summary>
    internal PartitionPlanner(PipelineOptions options, PipelineState? resumeFrom, int shuffleBuffer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(shuffleBuffer);
        resumeFrom?.EnsureResumes(options, shuffleBuffer);
        _shuffleBuffer = shuffleBuffer;
        _options = options;
        _order = EpochPlanner.For(options);
        _resume = resumeFrom;
        Rank = options.Rank ?? 0;
        WorldSize = options.WorldSize ?? 1;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(WorldSize);
        if ((uint)Rank >= (uint)WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Rank, $"Parameter \"{nameof(PipelineOptions.Rank)}\" must be between 0 and {WorldSize - 1}, was {Rank}.");
        }
    }

    /// <summary>This process's rank.</summary>
    public int Rank { get; }

    /// <summary>Processes in the run.</summary>
    public int WorldSize { get; }

    /// <summary>Positions per batch and rank.</summary>
    public int BatchSize => _order.BatchSize;

    /// <summary>The remainder policy.</summary>
    public RemainderPolicy Remainder => _options.Remainder;

    /// <inheritdoc />
    public int FirstEpoch => _resume?.Epoch ?? _options.FirstEpoch;

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The run resumes a state saved over another dataset.</exception>
    public EpochPlan Plan(SampleSet set, ReadOnlySpan<int> selected, int epoch)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (!ReferenceEquals(set, _set))
        {
            _resume?.EnsureDataset(set, selected.Length);
            // Computed when a state is first read (saved, compared), not before the first batch: hashing every
            // sample id and loading the hash provider cost tens of milliseconds of start-up that most batches never use.
            int samples = selected.Length;
            _identity = new Lazy<PipelineStateIdentity>(() => PipelineStateIdentity.For(_options, PipelineStateIdentity.Fingerprint(set), samples) with { ShuffleBuffer = _shuffleBuffer });
            _set = set;
        }

        (long start, int step) = Start(epoch);
        if (_shuffleBuffer > 0)
        {
            return PlanShards(ShardBufferOrder.Of(set, selected, _options.Seed, _shuffleBuffer, epoch), start, step);
        }

        return Plan(_order.Order(selected, epoch), epoch, start, step, ownsOrder: true);
    }

    /// <summary>
    /// This rank's plan of <paramref name="epoch"/> from position <paramref name="start"/> of the global order
    /// <paramref name="order"/>, its first batch numbered <paramref name="firstBatch"/>.
    /// </summary>
    public EpochPlan Plan(int[] order, int epoch, long start, int firstBatch) => Plan(order, epoch, start, firstBatch, ownsOrder: false);

    /// <param name="order">The epoch's global order.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="start">The position to start from.</param>
    /// <param name="firstBatch">The number of the plan's first batch.</param>
    /// <param name="ownsOrder">True when nothing else holds <paramref name="order"/>: the plan may keep it as its own.</param>
    private EpochPlan Plan(int[] order, int epoch, long start, int firstBatch, bool ownsOrder)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, order.Length);
        int n = order.Length, b = BatchSize, w = WorldSize, r = Rank;
        int p = (int)start;
        long stride = (long)b * w;
        StepShare share = StepShare.Of(n - p, b, w, r, Remainder, _options.DropLast);
        int fullSteps = share.FullSteps, dropped = share.Dropped, tail = share.Tail;
        int tailFrom = (int)(p + fullSteps * stride) + share.TakeFrom;
        // As PyTorch's DistributedSampler: repeat from the start of the epoch's order (marked, weight 0).
        int padFrom = share.Pad ? (r - share.Extra) % n : -1;

        // Sized exactly (the plan is what a run holds per sample): one rank alone takes the order itself.
        int count = fullSteps * b + tail + (padFrom >= 0 ? 1 : 0);
        int[] planned = ownsOrder && w == 1 && p == 0 && count == n ? order : new int[count];
        if (!ReferenceEquals(planned, order))
        {
            for (int s = 0; s < fullSteps; s++)
            {
                order.AsSpan((int)(p + s * stride + (long)r * b), b).CopyTo(planned.AsSpan(s * b));
            }

            order.AsSpan(tailFrom, tail).CopyTo(planned.AsSpan(fullSteps * b));
            if (padFrom >= 0)
            {
                planned[^1] = order[padFrom];
            }
        }

        return Batched(planned, epoch, firstBatch, dropped, padded: padFrom >= 0);
    }

    /// <summary>This rank's plan of the rest of a streamed epoch: its run of the shard stream, in mixed order.</summary>
    private EpochPlan PlanShards(ShardBufferOrder order, long start, int firstBatch)
    {
        bool resumed = _resume is not null && _resume.Epoch == order.Epoch && (start > 0 || _resume.Remaining is not null);
        RemainingSamples remaining = !resumed ? RemainingSamples.Whole(order.Count)
            : _resume!.Remaining ?? throw new InvalidDataException($"The pipeline state ({_resume}) has no remaining ranges: the shard-buffer order resumes part-way from them.");
        var partition = ShardRangePartition.Of(order, remaining, BatchSize, WorldSize, Remainder, _options.DropLast);
        if (partition.RemainingCount != order.Count - start)
        {
            throw new InvalidDataException(
                $"The pipeline state's remaining ranges ({remaining}) hold {partition.RemainingCount} samples of the epoch, but its position {start} leaves {order.Count - start} of {order.Count}: the state is damaged or from another run.");
        }

        int[] planned = partition.Planned(Rank, out bool padded);
        return Batched(planned, order.Epoch, firstBatch, partition.Share(Rank).Dropped, padded, partition);
    }

    /// <summary>The planned samples cut into batches, their rows arranged from (seed, epoch, batch); the last one a marked repeat when <paramref name="padded"/>.</summary>
    private EpochPlan Batched(int[] planned, int epoch, int firstBatch, int dropped, bool padded, ShardRangePartition? ranges = null)
    {
        int b = BatchSize;
        int[] rows = new int[planned.Length];
        for (int start0 = 0, k = 0; start0 < planned.Length; start0 += b, k++)
        {
            _order.ArrangeRows(rows.AsSpan(start0, Math.Min(b, planned.Length - start0)), epoch, firstBatch + k);
        }

        return new EpochPlan(epoch, b, planned, rows, dropped, firstBatch, padded ? Repeats(planned.Length) : null) { Ranges = ranges };
    }

    private static bool[] Repeats(int count)
    {
        var repeated = new bool[count];
        repeated[^1] = true;
        return repeated;
    }

    /// <inheritdoc />
    /// <remarks>After an epoch's last batch, the state points at the start of the next epoch. Under
    /// <see cref="RemainderPolicy.Uneven"/> a rank with one step fewer reaches that point one step early: keep rank 0's
    /// state, which has the most steps. Under the other policies every rank's state is the same after each step.</remarks>
    public PipelineState? StateAfter(EpochPlan plan, int batch)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Lazy<PipelineStateIdentity> identity = _identity ?? throw new InvalidOperationException("The state is known once an epoch has been planned.");
        if (batch >= plan.BatchCount - 1)
        {
            return new PipelineState(plan.Epoch + 1, 0, 0, WorldSize, identity);
        }

        (long start, _) = Start(plan.Epoch);
        return new PipelineState(plan.Epoch, start + (batch + 1L) * BatchSize * WorldSize, plan.FirstBatch + batch + 1, WorldSize, identity, plan.Ranges?.After(batch + 1));
    }

    /// <inheritdoc />
    public override string ToString() => $"PartitionPlanner(rank {Rank} of {WorldSize}, {Remainder}, {(_shuffleBuffer > 0 ? $"shard buffer {_shuffleBuffer}, " : "")}{_order})";

    private (long Start, int Step) Start(int epoch) => _resume is not null && epoch == _resume.Epoch ? (_resume.Position, _resume.Step) : (0, 0);
}
