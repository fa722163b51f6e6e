using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// One run, from the posted roots to the last batch: builds the stages and the graph, runs the producer, and
/// ends only when every block has stopped and everything the run held is returned.
/// </summary>
internal sealed class PipelineRun : IDisposable
{
    private readonly PipelineOptions _options;
    private readonly RunControl _run;
    private readonly InFlightLedger _ledger;
    private readonly PipelineReport _report;
    private readonly Producer _producer;
    private readonly PipelineGraph _graph;
    private readonly AssembleStage _assemble;
    private readonly NormalizeStage _normalize;
    private readonly Delivery _delivery;
    private readonly ImageCache? _cache;
    private readonly ReadStage _read;
    private readonly IReadOnlyList<ImagePipeline.UserStage> _userStages;

    public PipelineRun(PipelineOptions options, ISampleSource source, IEpochPlanner planner, IReadOnlyList<ImagePipeline.UserStage> userStages,
        Func<Batch, CancellationToken, ValueTask>? trainer, PipelineReport report, InFlightLedger ledger, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        _options = options;
        _userStages = userStages;
        _report = report;
        _ledger = ledger;
        _run = new RunControl(cancellationToken);
        var runner = new StageRunner(_run, ledger, report, new FailureBudget(options.MaxFailures, options.MaxFailureFraction), options.ErrorPolicy);
        GraphPlan plan = GraphPlan.Decide(options, SourceCapabilities.Of(source), [.. userStages.Select(s => s.Position)]);
        report.Graph = plan.Describe([.. userStages.Select(s => s.Name)]);
        PixelOrder order = plan.Pixels;
        ISourceCropAugmentation? crop = plan.SourceCrop;
        _normalize = new NormalizeStage(new Normalizer(options.Normalization, options.Layout, options.Width, options.Height, options.Channels), order.SwapInNormalizer, ledger, options.Output);
        _assemble = new AssembleStage(_run, ledger, report, runner, BatchAugmentStage.Create(options, report));
        _cache = ImageCache.For(options, order.SwapInNormalizer, crop, order.Pixels);
        var stages = new GraphStages(
            _read = new ReadStage(source, plan.Read, ledger, _cache),
            new DecodeStage(options.CreateDecoder(leaveBgr: order.SwapInNormalizer), crop, options.Seed, order.Pixels, new OpenCvSharp.Size(options.Width, options.Height), _cache, options.Targets),
            new AugmentStage(options.Augmentations, skipFirst: crop is not null, options.Seed, order.Pixels),
            _normalize,
            _assemble);
        _delivery = new Delivery(trainer, _run, ledger, report);
        _graph = new PipelineGraph(plan, options, stages, userStages, runner, report, _delivery, _run.Token);
        _producer = new Producer(options, source, planner, report, ledger, environment);

        foreach (IDataflowBlock block in _graph.Blocks)
        {
            // A fault anywhere stops everything: the first exception is kept and the rest of the graph is cancelled.
            block.Completion.ContinueWith(static (t, state) => ((PipelineRun)state!).OnBlockFaulted(t.Exception!),
                this, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        if (_graph.UserBlocks.Count > 0)
        {
            // User blocks do not share the run's token: fault them on cancellation so they drop what they hold
            // (the samples in them are released with the other leftovers) instead of waiting on a cancelled neighbour.
            _run.Token.Register(() =>
            {
                foreach (IPropagatorBlock<ImageSample, ImageSample> block in _graph.UserBlocks)
                {
                    block.Fault(new OperationCanceledException("The pipeline run was cancelled.", _run.Token));

                    // A faulted block still offering a message to its cancelled neighbour can wait for ever: give it a
                    // target that takes everything, so it completes (the ledger returns what those samples hold).
                    block.LinkTo(DataflowBlock.NullTarget<ImageSample>());
                }
            });
        }

        // An async method turns any OperationCanceledException it throws into cancellation: one the trainer or
        // the source threw for its own reasons (not this run's token) must leave Completion faulted instead.
        Completion = RunAsync().ContinueWith(static (run, state) => run.IsCanceled && ((PipelineRun)state!)._run.Fault is OperationCanceledException own
                ? Task.FromException(own) : run,
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The roots the user posts.</summary>
    public BufferBlock<string> Roots { get; } = new();

    public Task Completion { get; }

    public int SampleCapacity => _graph.SampleCapacity;

    public int ChunkSize => _graph.ChunkSize;

    /// <summary>Every block of the graph, in graph order.</summary>
    public IReadOnlyList<IDataflowBlock> Blocks => _graph.Blocks;

    public bool IsStream => _delivery.IsStream;

    public void Cancel() => _run.Cancel();

    public IAsyncEnumerable<Batch> ReadAllAsync(CancellationToken cancellationToken) => _delivery.ReadAllAsync(cancellationToken);

    public void Dispose() => _run.Dispose();

    private RunDataset DatasetKnown(SampleSet set)
    {
        if (Targets.TargetChecks.Problem(_options, set.TargetSchema, _userStages) is string problem)
        {
            throw new InvalidOperationException(problem);
        }

        var assembler = new BatchAssembler(_ledger.Tensors, _options.BatchSize, _normalize.Normalizer.SampleShape, _options.Layout, set.ClassNames, _options.Output)
        {
            TargetSchema = set.TargetSchema,
            TargetOptions = _options.Targets,
        };
        DecodedImageStore? store = _cache?.CreateStore(set);
        _report.Cache = store?.Report;
        return new RunDataset(set, assembler, store);
    }

    private async Task RunAsync()
    {
        try
        {
            await _producer.RunAsync(Roots, _graph, DatasetKnown, _run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_run.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _run.RecordFault(e);
        }
        finally
        {
            _graph.CompleteHead();
        }

        // Wait for every block, whatever its outcome, before returning memory: no delegate may still run.
        try
        {
            await Task.WhenAll(_graph.Blocks.Select(b => b.Completion)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Outcomes are read below: the first fault wins over the cancellations it caused.
        }

        if (!_run.IsCancellationRequested && _assemble.Received != _producer.Sent)
        {
            // Every position must reach the batch stage: a user block that drops or adds messages loses samples.
            _run.RecordFault(new InvalidOperationException(
                $"{_producer.Sent} messages entered the graph but {_assemble.Received} reached the batch stage: a block added with AddBlock dropped or added messages (it must pass on every message it receives, in order)."));
        }

        try
        {
            // The stream of an epoch that did not finish (a fault or a cancellation) returns the buffers it holds.
            await _read.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _run.RecordFault(e);
        }

        _delivery.EndRun(_ledger.ReleaseAll);
        _producer.Dataset?.Dispose();
        _run.ThrowIfFaulted();
        if (_run.IsCancellationRequested || _graph.Blocks.Any(b => b.Completion.IsCanceled))
        {
            throw new OperationCanceledException("The pipeline run was cancelled.", _run.Token);
        }

        _report.AllEpochsEnded();
        if (!_report.CountsAddUp)
        {
            // A run that ends without a fault or a cancellation has accounted for every planned sample; one that has not
            // lost something on the way, and must never end as a success.
            throw new InvalidOperationException(
                $"The run ended but its counts do not add up: {_report.Planned} planned, {_report.Batched} batched, {_report.SkippedCount} skipped, {_report.DroppedLast} dropped at epoch ends ({_report.Batches} batches handed over).");
        }
    }

    /// <summary>Test seam: the stream's hand-over (see <see cref="Delivery.AfterTake"/>).</summary>
    internal Delivery Delivery => _delivery;

    private void OnBlockFaulted(AggregateException exception)
    {
        if (_run.IsCancellationRequested)
        {
            // Once the run is stopping (cancelled, or a first fault recorded), a block may fault for Dataflow's own
            // reasons: a reservation released after its source was cancelled throws "The target does not have the
            // message reserved". The run's outcome is already decided; such faults are its consequence, not a cause.
            return;
        }

        // A block faulted by a linked source carries that source's exception wrapped again: unwrap to the original.
        _run.RecordFault(exception.Flatten().InnerExceptions[0]);
    }
}
