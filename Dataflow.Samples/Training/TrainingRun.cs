using System.Diagnostics;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Training;

/// <summary>
/// Trains a <see cref="MlpClassifier"/> on a dataset with two pipelines over the same seeded split: the
/// training subset (augmented, reshuffled every epoch) feeds the trainer callback; the validation subset
/// (neither) is streamed one epoch at a time and scored at the end of each training epoch.
/// </summary>
public sealed class TrainingRun
{
    private readonly PipelineSettings _pipeline;
    private readonly TrainingSettings _training;

    /// <summary>Creates a run.</summary>
    public TrainingRun(PipelineSettings pipeline, TrainingSettings training)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(training);
        _pipeline = pipeline;
        _training = training;
    }

    /// <summary>Called after every training batch with (images done, images in the whole run).</summary>
    public Action<long, long>? Progress { get; init; }

    /// <summary>A loader state to continue the training pipeline from (with the model it was saved with), or null.</summary>
    public PipelineState? Resume { get; init; }

    /// <summary>Stop after this many training batches (as an interrupted run), or null for every epoch.</summary>
    public int? StopAfter { get; init; }

    /// <summary>Called at the end of every epoch.</summary>
    public Action<EpochResult>? EpochCompleted { get; init; }

    /// <summary>
    /// Trains for the configured epochs, starting from <paramref name="initial"/> (a loaded model) or from
    /// fresh seeded weights. With <paramref name="evaluateOnly"/> it only scores <paramref name="initial"/>
    /// on the validation subset (or on every image when there is no split).
    /// </summary>
    /// <exception cref="UsageException">A loaded model does not fit the data (input shape or classes).</exception>
    public async Task<TrainingResult> RunAsync(MlpClassifier? initial, bool evaluateOnly, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (evaluateOnly)
        {
            ArgumentNullException.ThrowIfNull(initial);
            return await EvaluateAsync(initial, clock, cancellationToken).ConfigureAwait(false);
        }

        string root = _pipeline.Dataset.Root;
        int epochs = _pipeline.Epochs;
        int firstEpoch = Resume?.Epoch ?? 0;
        if (firstEpoch >= epochs)
        {
            throw new UsageException($"--resume: the loader state is at epoch {firstEpoch + 1} but the run has --epochs {epochs}: raise --epochs to continue.");
        }

        // The validation subset is the same every epoch: stream only the epochs this run scores.
        await using ImagePipeline? validation = _pipeline.ValidationSplit > 0
            ? _pipeline.Dataset.Builder(_pipeline.For(Subset.Validation, epochs - firstEpoch)).BuildStream(cancellationToken)
            : null;
        await using EpochReader? validationEpochs = validation is null ? null : new EpochReader(validation.ReadAllAsync(cancellationToken), cancellationToken);
        if (validation is not null)
        {
            validation.Post(root);
            validation.Complete();
        }

        MlpClassifier? model = initial;
        var results = new List<EpochResult>();
        int current = -1;
        var score = default(Score);
        var epochClock = new Stopwatch();
        long done = 0;
        long batches = 0;
        PipelineState? state = Resume;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async ValueTask FinishEpochAsync()
        {
            epochClock.Stop();
            Score? validationScore = validationEpochs is null ? null : await validationEpochs.ScoreEpochAsync(current - firstEpoch, model!).ConfigureAwait(false);
            var result = new EpochResult(current + 1, epochs, score, validationScore, epochClock.Elapsed);
            results.Add(result);
            EpochCompleted?.Invoke(result);
        }

        ImagePipelineBuilder builder = _pipeline.Dataset.Builder(_pipeline.For(Subset.Training));
        if (Resume is not null)
        {
            builder.ResumeFrom(Resume);
        }

        await using ImagePipeline train = builder.Build(async (batch, _) =>
        {
            if (batch.Epoch != current)
            {
                if (current >= 0)
                {
                    // The previous epoch's last batch was not delivered (every sample of it failed).
                    await FinishEpochAsync().ConfigureAwait(false);
                }

                current = batch.Epoch;
                score = default;
                epochClock.Restart();
            }

            model ??= new MlpClassifier(_training.Model, batch.Shape[1..], batch.ClassNames, _training.Hidden, _pipeline.Seed);
            EnsureFits(model, batch);
            // The schedule follows the plan's step numbers, so a resumed run (or another world size) is where it would be.
            long totalSteps = (long)batch.BatchesInEpoch * epochs;
            long step = (long)batch.Epoch * batch.BatchesInEpoch + batch.Index;
            // With MixUp or CutMix the one-hot rows are soft: train towards them.
            ReadOnlySpan<float> targets = _pipeline.BatchAugmentations.Count > 0 ? batch.OneHot : default;
            score += model.TrainStep(batch.Data, batch.Labels, targets, _training.Sgd.At(step, Math.Max(totalSteps, step + 1)));
            done += batch.Count;
            state = batch.State;
            Progress?.Invoke(done, (long)batch.Count * totalSteps);
            if (batch.IsLastInEpoch)
            {
                await FinishEpochAsync().ConfigureAwait(false);
                current = -1;
            }

            if (++batches == StopAfter)
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }, stop.Token);

        train.Post(root);
        train.Complete();
        try
        {
            await train.Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Stopped after StopAfter batches, as asked.
        }

        if (current >= 0)
        {
            await FinishEpochAsync().ConfigureAwait(false);
        }

        if (model is null)
        {
            throw new InvalidDataException($"No image of '{root}' could be decoded: nothing to train on (see the skipped files in the report).");
        }

        return new TrainingResult(model, results, train.Report, validation?.Report, clock.Elapsed) { LoaderState = state };
    }

    private async Task<TrainingResult> EvaluateAsync(MlpClassifier model, Stopwatch clock, CancellationToken cancellationToken)
    {
        // Without a split there is no held-out part: score every image.
        Subset subset = _pipeline.ValidationSplit > 0 ? Subset.Validation : Subset.Training;
        await using ImagePipeline pipeline = _pipeline.Dataset.Builder(_pipeline.For(subset, epochs: 1, forEvaluation: true)).BuildStream(cancellationToken);
        pipeline.Post(_pipeline.Dataset.Root);
        pipeline.Complete();
        var score = default(Score);
        var epochClock = Stopwatch.StartNew();
        await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            using (batch)
            {
                EnsureFits(model, batch);
                score += model.Evaluate(batch.Data, batch.Labels);
            }
        }

        var result = new EpochResult(0, 0, default, score, epochClock.Elapsed);
        EpochCompleted?.Invoke(result);
        return new TrainingResult(model, [result], null, pipeline.Report, clock.Elapsed);
    }

    private static void EnsureFits(MlpClassifier model, Batch batch)
    {
        if (!model.InputShape.AsSpan().SequenceEqual(batch.Shape.AsSpan(1)) || !model.ClassNames.SequenceEqual(batch.ClassNames))
        {
            throw new UsageException(
                $"--load: the model takes [{string.Join(", ", model.InputShape)}] inputs with classes ({string.Join(", ", model.ClassNames)}), " +
                $"but this data gives [{string.Join(", ", batch.Shape[1..])}] with classes ({string.Join(", ", batch.ClassNames)}); use the same --size, --color and dataset.");
        }
    }
}
