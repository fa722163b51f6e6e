namespace Dataflow.Pipeline.Distributed;

/// <summary>
/// What happens to the samples of an epoch's last global step when they do not fill every process's batch
/// (the epoch's size is not a multiple of <c>BatchSize × WorldSize</c>).
/// </summary>
/// <remarks>
/// The last step's <c>L</c> samples are split as evenly as possible: each rank gets <c>⌊L / W⌋</c> or
/// <c>⌈L / W⌉</c> of them, contiguous in the global order. With one process there is no remainder to settle:
/// every policy gives the batches of a single-process run.
/// </remarks>
public enum RemainderPolicy
{
    /// <summary>
    /// Ranks with <c>⌊L / W⌋</c> samples get one more row that repeats a sample of the epoch (as PyTorch's
    /// <c>DistributedSampler</c> does), marked in <see cref="Batching.Batch.Weights"/> with weight 0, so that every
    /// rank makes the same number of steps and metrics can leave the repeats out exactly. The default.
    /// </summary>
    Pad,

    /// <summary>
    /// The <c>L mod W</c> samples that would need padding are left out of the epoch (counted in the report as
    /// dropped): every rank makes the same number of steps, no sample repeats, a few are not seen this epoch.
    /// </summary>
    Drop,

    /// <summary>
    /// Nothing repeated, nothing dropped: ranks' last batches differ by one row, and when <c>L &lt; W</c> some ranks
    /// make one step fewer (only for trainers that handle uneven inputs, such as DDP's <c>join</c>).
    /// </summary>
    Uneven,
}
