using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// Turns a discovered dataset into the ordered positions of each epoch. A planner is a pure function of its
/// inputs: the same set, selection and epoch give the same plan in every process, so a plan can be recomputed
/// (to resume, or to split it between processes) instead of being remembered.
/// </summary>
public interface IEpochPlanner
{
    /// <summary>The plan of <paramref name="epoch"/>.</summary>
    /// <param name="set">The discovered dataset.</param>
    /// <param name="selected">The indices of the samples to stream (the chosen subset), ascending.</param>
    /// <param name="epoch">The epoch, from 0.</param>
    EpochPlan Plan(SampleSet set, ReadOnlySpan<int> selected, int epoch);

    /// <summary>The first epoch to plan: above 0 for a run resumed from a saved state.</summary>
    int FirstEpoch => 0;

    /// <summary>The state to save once batch <paramref name="batch"/> (counted from the plan's first) of <paramref name="plan"/> is
    /// consumed, or null when the planner cannot resume.</summary>
    Distributed.PipelineState? StateAfter(EpochPlan plan, int batch) => null;
}
