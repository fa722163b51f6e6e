using System.Diagnostics;
using Dataflow.Pipeline.Graph;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// The batch-level augmentations of a run (<see cref="PipelineOptions.BatchAugmentations"/>), applied in order to each
/// assembled batch by the assemble stage, on its one worker, before the batch is delivered.
/// </summary>
internal sealed class BatchAugmentStage
{
    private readonly IBatchAugmentation[] _transforms;
    private readonly long _seed;
    private readonly StageClock _clock;

    private BatchAugmentStage(IBatchAugmentation[] transforms, long seed, StageClock clock)
    {
        _transforms = transforms;
        _seed = seed;
        _clock = clock;
    }

    /// <summary>The stage for <paramref name="options"/>, or null when it has no batch augmentation.</summary>
    public static BatchAugmentStage? Create(PipelineOptions options, PipelineReport report) =>
        options.BatchAugmentations.Count == 0 ? null : new([.. options.BatchAugmentations], options.Seed, report.Clock("batch augment"));

    /// <summary>
    /// Applies every transform to <paramref name="batch"/> with one context keyed by (seed, epoch, batch index). When one
    /// throws, the batch is disposed and the run faults with an exception naming the transform and the batch; returns false.
    /// </summary>
    public bool TryApply(Batch batch, RunControl run)
    {
        long start = Stopwatch.GetTimestamp();
        var context = new BatchAugmentationContext(_seed, batch.Epoch, batch.Index);
        IBatchAugmentation? current = null;
        try
        {
            foreach (IBatchAugmentation transform in _transforms)
            {
                current = transform;
                transform.Apply(batch, context);
            }

            return true;
        }
        catch (Exception e)
        {
            batch.Dispose();
            run.RecordFault(new InvalidOperationException($"The batch augmentation {current} failed on {batch}: {e.Message}", e));
            return false;
        }
        finally
        {
            _clock.AddSince(start);
        }
    }
}
