using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Graph;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// One epoch of a run's plan, shared by every message of the epoch: its number, its length and batch count, and
/// (for a source that streams) its samples in the planned order.
/// </summary>
internal sealed class PlannedEpoch
{
    private readonly RunDataset? _dataset;
    private readonly EpochPlan? _plan;
    private SampleInfo[]? _samples;

    public PlannedEpoch(RunDataset dataset, EpochPlan plan)
        : this(plan.Epoch, plan.Count, plan.BatchesInEpoch)
    {
        _dataset = dataset;
        _plan = plan;
    }

    private PlannedEpoch(int epoch, int length, int batches)
    {
        Epoch = epoch;
        Length = length;
        BatchesInEpoch = batches;
    }

    /// <summary>The epoch, from 0.</summary>
    public int Epoch { get; }

    /// <summary>Positions of this process's plan of the epoch (padding not included).</summary>
    public int Length { get; }

    /// <summary>Batches in the epoch (those of a resumed run's first epoch that were already consumed included).</summary>
    public int BatchesInEpoch { get; }

    /// <summary>The run's dataset: its samples, its batch assembler, its cache.</summary>
    public RunDataset Dataset => _dataset ?? throw new InvalidOperationException("A standalone epoch has no dataset.");

    /// <summary>The epoch's samples in the planned order, one per position (what a source's stream reads); made once, when asked.</summary>
    public IReadOnlyList<SampleInfo> Samples => _samples ??= SamplesOf();

    /// <summary>An epoch known only by its numbers (tests and micro-benchmarks that assemble batches by hand).</summary>
    public static PlannedEpoch Standalone(int epoch, int length = 0, int batches = 0) => new(epoch, length, batches);

    private SampleInfo[] SamplesOf()
    {
        if (_plan is null)
        {
            return [];
        }

        var samples = new SampleInfo[_plan.Count];
        ReadOnlySpan<int> order = _plan.Order;
        for (int p = 0; p < samples.Length; p++)
        {
            samples[p] = _dataset!.Set.Samples[order[p]];
        }

        return samples;
    }
}

/// <summary>One planned batch, shared by the messages of its positions: its epoch, its index, and the run's state once it is consumed.</summary>
/// <param name="Epoch">The epoch it belongs to.</param>
/// <param name="Index">The batch's number within the epoch.</param>
/// <param name="StateAfter">The run's state once this batch is consumed (null when the planner cannot resume).</param>
internal sealed record PlannedBatch(PlannedEpoch Epoch, int Index, PipelineState? StateAfter)
{
    /// <summary>A batch known only by its numbers (tests and micro-benchmarks that assemble batches by hand).</summary>
    public static PlannedBatch Standalone(int epoch, int index) => new(PlannedEpoch.Standalone(epoch), index, null);
}
