using System.Collections.Concurrent;
using System.Diagnostics;
using Dataflow.Pipeline.Diagnostics;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline;

/// <summary>
/// What a run did with every discovered file. For every epoch,
/// <c>Selected = Batched + Skipped + DroppedLast</c> (with several ranks, or a resumed epoch: the positions planned for
/// this process, repeats included, plus the dropped samples); <see cref="CountsAddUp"/> checks it.
/// </summary>
public sealed class PipelineReport
{
    private readonly ConcurrentQueue<SkippedSample> _skipped = new();
    private readonly ConcurrentDictionary<string, string> _reasons = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StageClock> _clocks = new(StringComparer.Ordinal);
    private long _batched;
    private long _batches;
    private long _droppedLast;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _pendingDrops = new();
    private long _planned;
    private long[] _batchedPerClass = [];
    private long[] _skippedPerEpoch = [];

    /// <summary>Class names, indexed by label (empty until discovery has run).</summary>
    public IReadOnlyList<string> ClassNames { get; private set; } = [];

    /// <summary>This process's rank and world size, and where they came from (the options, or the launcher variables and their values).</summary>
    /// <remarks>A run with a world size above 1 streams only its rank's part of every epoch; <see cref="ToString"/> says so.</remarks>
    /// <value>Rank 0 of 1 ("default") until the pipeline is built.</value>
    public Distributed.RankAssignment Placement { get; internal init; } = new(0, 1, "default");

    /// <summary>
    /// The launcher variables (<c>RANK</c>, <c>OMPI_COMM_WORLD_SIZE</c>, <c>SLURM_NTASKS</c> …) set in the environment but not
    /// read, as <c>NAME=value</c>, because <see cref="PipelineOptions.ReadLauncherEnvironment"/> is off; null when none is set or they were read.
    /// </summary>
    public string? UnreadLauncherVariables { get; internal init; }

    /// <summary>
    /// Epochs this run streamed from their first batch that an earlier pipeline of this process had already streamed, over
    /// the same roots with the same seed and options: the same order and augmentation again, bit for bit.
    /// </summary>
    /// <remarks>What a pipeline built again per epoch with <c>Epochs = 1</c> does. Set <see cref="PipelineOptions.FirstEpoch"/>
    /// (or read <see cref="ImageLoader.ReadEpochAsync"/> with the epoch) for epoch <c>e</c>'s own batches. Runs without shuffle
    /// or augmentation (whose every epoch is the same) are not tracked. Also logged as a warning (event <c>EpochRepeated</c>).</remarks>
    public IReadOnlyList<int> RepeatedEpochs => [.. _repeatedEpochs.Order()];

    private readonly ConcurrentQueue<int> _repeatedEpochs = new();

    internal void AddRepeatedEpoch(int epoch)
    {
        _repeatedEpochs.Enqueue(epoch);
        Diagnostics?.EpochRepeated(epoch);
    }

    /// <summary>Samples found in class folders (both subsets).</summary>
    public int Discovered { get; private set; }

    /// <summary>The decoded-image cache's counts (<see cref="PipelineOptions.Cache"/>), once discovery has run; null without a cache.</summary>
    public Caching.CacheReport? Cache { get; internal set; }

    /// <summary>Samples in the streamed subset.</summary>
    public int Selected { get; private set; }

    /// <summary>Samples discovered per class, indexed by label.</summary>
    public IReadOnlyList<int> DiscoveredPerClass { get; private set; } = [];

    /// <summary>Rows batched per class over the whole run, indexed by label.</summary>
    public IReadOnlyList<long> BatchedPerClass => [.. _batchedPerClass];

    /// <summary>Entries found that are not samples (files in the root, other extensions, unrequested folders).</summary>
    public IReadOnlyList<IgnoredEntry> Ignored { get; private set; } = [];

    /// <summary>Epochs the run was configured for.</summary>
    public int Epochs { get; private set; }

    /// <summary>Epochs whose every sample was planned into the graph.</summary>
    public int EpochsStarted { get; internal set; }

    /// <summary>
    /// The graph the run built, in one line: its shape (chunked, fused or split), its blocks in order with their workers,
    /// how bytes are read, where the decoded-image cache sits, and any stage options this shape does not use.
    /// </summary>
    public string Graph { get; internal set; } = "";

    /// <summary>Rows in the batches handed to the trainer (or the stream), over all epochs.</summary>
    public long Batched => Interlocked.Read(ref _batched);

    /// <summary>Batches handed to the trainer (or the stream).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Samples left out by <c>DropLast</c>, over the epochs whose end the run reached (a run stopped part-way
    /// does not count the drops of the epoch it stopped in).</summary>
    public long DroppedLast => Interlocked.Read(ref _droppedLast);

    /// <summary>
    /// Boxes the keep rules dropped (<see cref="Targets.TargetOptions"/>: pushed out of the image, too small, too little left) from
    /// the rows handed over, with their classes, fields, keypoints and masks; 0 for a dataset without boxes.
    /// </summary>
    public long DroppedBoxes => Interlocked.Read(ref _droppedBoxes);

    private long _droppedBoxes;

    /// <summary>Samples skipped (one entry per epoch in which a sample failed).</summary>
    public IReadOnlyList<SkippedSample> Skipped => [.. _skipped];

    /// <summary>Busy time per stage, summed over its parallel workers.</summary>
    public IReadOnlyDictionary<string, TimeSpan> StageTime =>
        _clocks.ToDictionary(kv => kv.Key, kv => kv.Value.Elapsed, StringComparer.Ordinal);

    /// <summary>Positions planned for this process over the epochs started (repeats included), plus the samples dropped.</summary>
    public long Planned => Interlocked.Read(ref _planned);

    /// <summary>True when every planned sample of every epoch is batched, skipped or dropped (for a run that finished).</summary>
    public bool CountsAddUp => Planned == Batched + _skipped.Count + DroppedLast;

    internal void SetDiscovery(SampleSet set, int selected, int epochs)
    {
        ClassNames = set.ClassNames;
        Discovered = set.Samples.Count;
        Selected = selected;
        Epochs = epochs;
        Ignored = set.Ignored;
        var perClass = new int[set.ClassNames.Count];
        for (int i = 0; i < Discovered; i++)
        {
            perClass[set.LabelOf(i)]++;
        }

        DiscoveredPerClass = perClass;
        _batchedPerClass = new long[set.ClassNames.Count];
        _skippedPerEpoch = new long[epochs];
    }

    /// <summary>Samples skipped so far, over all epochs.</summary>
    public long SkippedCount => _skipped.Count;

    /// <summary>Samples skipped in <paramref name="epoch"/> so far.</summary>
    public long SkippedIn(int epoch) => (uint)epoch < (uint)_skippedPerEpoch.Length ? Interlocked.Read(ref _skippedPerEpoch[epoch]) : 0;

    /// <summary>The meter and logger fed by this report's bookkeeping; null for none.</summary>
    internal PipelineDiagnostics? Diagnostics { get; init; }

    /// <summary>A stage finished <paramref name="sample"/>, which is still live.</summary>
    internal void AddCompleted(string stage, ImageSample sample) => Diagnostics?.Completed(stage, sample);

    internal void AddSkipped(SkippedSample skipped)
    {
        Diagnostics?.Skipped(skipped);
        // A file tends to fail the same way every epoch: its entries share one copy of the reason, so a long
        // run over a dataset with broken files keeps a few dozen bytes per entry rather than the whole text.
        string reason = _reasons.AddOrUpdate(skipped.Path, skipped.Reason, (_, known) => known == skipped.Reason ? known : skipped.Reason);
        _skipped.Enqueue(ReferenceEquals(reason, skipped.Reason) ? skipped : skipped with { Reason = reason });
        if ((uint)skipped.Epoch < (uint)_skippedPerEpoch.Length)
        {
            Interlocked.Increment(ref _skippedPerEpoch[skipped.Epoch]);
        }
    }

    internal void AddPlanned(long count) => Interlocked.Add(ref _planned, count);

    internal void AddDroppedLast(int count) => Interlocked.Add(ref _droppedLast, count);

    /// <summary>The samples <c>DropLast</c> leaves out at the end of <paramref name="epoch"/>: counted once that end is reached (<see cref="EpochEnded"/>).</summary>
    internal void PlanDroppedLast(int epoch, int count)
    {
        if (count > 0)
        {
            _pendingDrops[epoch] = count;
        }
    }

    /// <summary>The last batch of <paramref name="epoch"/> was handed over: its drops happened.</summary>
    internal void EpochEnded(int epoch)
    {
        if (_pendingDrops.TryRemove(epoch, out int count))
        {
            AddDroppedLast(count);
        }
    }

    /// <summary>The run finished every epoch (even one whose last batch was skipped whole): every planned drop happened.</summary>
    internal void AllEpochsEnded()
    {
        foreach (int epoch in _pendingDrops.Keys)
        {
            EpochEnded(epoch);
        }
    }

    internal void AddDroppedBoxes(IReadOnlyList<int> perRow)
    {
        long sum = 0;
        foreach (int dropped in perRow)
        {
            sum += dropped;
        }

        Interlocked.Add(ref _droppedBoxes, sum);
    }

    internal void AddBatch(int[] labels)
    {
        Diagnostics?.Batched(labels.Length);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batched, labels.Length);
        foreach (int label in labels)
        {
            Interlocked.Increment(ref _batchedPerClass[label]);
        }
    }

    internal StageClock Clock(string stage) => _clocks.GetOrAdd(stage, static (name, report) => new StageClock(name, report), this);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Discovered} discovered, {Selected} selected x {Epochs} epochs: {Batched} batched in {Batches} batches, {_skipped.Count} skipped, {DroppedLast} dropped (last batch), {Ignored.Count} ignored entries"
        + (Placement.WorldSize > 1 ? $"; {Placement}: this rank's part of every epoch" : "")
        + (UnreadLauncherVariables is null ? "" : $"; launcher variables not read ({UnreadLauncherVariables}): every sample of every epoch")
        + (_repeatedEpochs.IsEmpty ? "" : $"; {(_repeatedEpochs.Count == 1 ? "epoch" : "epochs")} {string.Join(", ", RepeatedEpochs)} streamed again with the same seed and options: the same batches as before (FirstEpoch sets the epoch)");
}

/// <summary>Accumulates one stage's busy time from many threads.</summary>
internal sealed class StageClock
{
    private readonly string _stage;
    private readonly PipelineReport _report;
    private long _ticks;

    public StageClock(string stage, PipelineReport report)
    {
        _stage = stage;
        _report = report;
    }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

    public void AddSince(long startTimestamp)
    {
        long ticks = Stopwatch.GetTimestamp() - startTimestamp;
        Interlocked.Add(ref _ticks, ticks);
        _report.Diagnostics?.BusyTime(_stage, ticks);
    }
}
