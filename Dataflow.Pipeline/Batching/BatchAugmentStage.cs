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
    /// Applies every transform to <paramref name="batch"/> with one context keyed by (seed, epoch, batch index), checking
    /// after each one that every label is a class and every one-hot row a probability vector. When one throws or leaves
    /// a row that breaks the check, the batch is disposed and the run faults with an exception naming the transform and
    /// the batch; returns false.
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
                CheckTargets(batch);
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

    /// <summary>The tolerance on the sum of a one-hot row: mixing two rows in float32 is off by a few ulps.</summary>
    internal const double OneHotSumTolerance = 1e-4;

    /// <summary>Throws when a label is not a class index or a one-hot row is not a probability vector (what a transform may write).</summary>
    /// <exception cref="InvalidDataException">The first row that breaks the rule, with its value.</exception>
    internal static void CheckTargets(Batch batch)
    {
        int classes = batch.ClassNames.Count;
        for (int row = 0; row < batch.Count; row++)
        {
            int label = batch.Labels[row];
            if ((uint)label >= (uint)classes)
            {
                throw new InvalidDataException($"row {row} has label {label}, outside the {classes} classes [0, {classes - 1}].");
            }

            ReadOnlySpan<float> oneHot = batch.OneHot.AsSpan(row * classes, classes);
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                float p = oneHot[c];
                if (!float.IsFinite(p) || p < 0)
                {
                    throw new InvalidDataException(FormattableString.Invariant($"row {row} has one-hot value {p} for class {c}; one-hot values must be finite and at least 0."));
                }

                sum += p;
            }

            if (Math.Abs(sum - 1) > OneHotSumTolerance)
            {
                throw new InvalidDataException(FormattableString.Invariant($"row {row} has one-hot values summing to {sum:0.######}; each row must sum to 1."));
            }
        }
    }
}
