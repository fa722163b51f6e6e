using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// The head of a run: gathers the posted roots, discovers the dataset, selects the subset, then follows the
/// planner epoch by epoch, sending each planned position into the graph (waiting when the graph is full).
/// </summary>
/// <remarks>
/// The producer never reads bytes: each message refers to its planned batch and epoch, and the read stage reads
/// (one sample at a time, or the epoch's stream for a source that streams).
/// </remarks>
internal sealed class Producer
{
    private readonly PipelineOptions _options;
    private readonly ISampleSource _source;
    private readonly IEpochPlanner _planner;
    private readonly PipelineReport _report;
    private readonly InFlightLedger _ledger;
    private readonly Func<string, string?> _environment;
    private long _sent;

    /// <summary>A producer for one run; <paramref name="environment"/> is what the source's storage reads its variables
    /// through while it discovers (<see cref="ImagePipelineBuilder.UseEnvironment"/>).</summary>
    public Producer(PipelineOptions options, ISampleSource source, IEpochPlanner planner, PipelineReport report, InFlightLedger ledger, Func<string, string?> environment)
    {
        _environment = environment;
        _options = options;
        _source = source;
        _planner = planner;
        _report = report;
        _ledger = ledger;
    }

    /// <summary>The run's dataset context, once discovery is done (null before, or when discovery failed).</summary>
    public RunDataset? Dataset { get; private set; }

    /// <summary>Messages (positions and padding) sent into the graph.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Runs until every epoch is sent, the graph refuses a message (it is shutting down), or cancellation.</summary>
    /// <param name="roots">The roots the user posts; read until completed.</param>
    /// <param name="graph">The graph: its first block takes single positions, or chunks of them.</param>
    /// <param name="datasetKnown">Makes the run's dataset context once discovery is done, before the first message is sent.</param>
    /// <param name="cancellationToken">The run's token.</param>
    public async Task RunAsync(BufferBlock<string> roots, PipelineGraph graph, Func<SampleSet, RunDataset> datasetKnown, CancellationToken cancellationToken)
    {
        var posted = new List<string>();
        while (await roots.OutputAvailableAsync(cancellationToken).ConfigureAwait(false))
        {
            if (roots.TryReceiveAll(out IList<string>? more))
            {
                posted.AddRange(more);
            }
        }

        // A faulted root block (IDataflowBlock.Fault) ends the run with that exception.
        await roots.Completion.ConfigureAwait(false);
        SampleSet set;
        using (Internal.EnvironmentVariables.Use(_environment))
        {
            // Stores are opened while discovering: their endpoints and credentials are read now.
            set = await _source.DiscoverAsync(posted, cancellationToken).ConfigureAwait(false);
        }

        if (set.TargetsProblem is string targetsProblem)
        {
            throw new InvalidDataException(targetsProblem);
        }

        int[] selected = DatasetSplit.Select(set, _options.ValidationSplit, _options.Subset, _options.Seed);
        if (selected.Length == 0)
        {
            throw new InvalidDataException($"The {_options.Subset} subset is empty: {set.Samples.Count} samples with ValidationSplit {_options.ValidationSplit}.");
        }

        _report.SetDiscovery(set, selected.Length, _options.Epochs);
        string? history = EpochHistory.Key(_options, posted, selected.Length);
        RunDataset dataset = datasetKnown(set);
        Dataset = dataset;
        for (int epoch = _planner.FirstEpoch; epoch < _options.Epochs; epoch++)
        {
            EpochPlan plan = _planner.Plan(set, selected, epoch);
            if (plan.BatchSize != _options.BatchSize)
            {
                throw new InvalidOperationException($"The planner {_planner} planned batches of {plan.BatchSize}; the pipeline's {nameof(PipelineOptions.BatchSize)} is {_options.BatchSize}.");
            }

            if (plan.Count == 0 && plan.FirstBatch > 0)
            {
                // An epoch resumed part-way whose rest gives this rank nothing (all dropped, or fewer samples than ranks).
                _report.AddPlanned(plan.Dropped);
                _report.AddDroppedLast(plan.Dropped);
                _report.EpochsStarted = epoch + 1;
                continue;
            }

            if (plan.Count == 0)
            {
                throw new InvalidDataException(
                    $"Epoch {epoch} has no batch: {selected.Length} selected samples, {nameof(PipelineOptions.BatchSize)} {plan.BatchSize}, {plan.Dropped} dropped (DropLast = {_options.DropLast}).");
            }

            if (history is not null && !EpochHistory.TryStart(history, epoch) && plan.FirstBatch == 0)
            {
                // Started from its first batch again (not resumed part-way): the same batches as before, bit for bit.
                _report.AddRepeatedEpoch(epoch);
            }

            _report.AddPlanned(plan.Count + plan.Dropped);
            // Dropped at the epoch's end: counted when its last batch is handed over (or the run ends), not before.
            _report.PlanDroppedLast(epoch, plan.Dropped);
            if (!await SendEpochAsync(dataset, plan, graph, cancellationToken).ConfigureAwait(false))
            {
                return; // The graph is shutting down (a fault); the outcome is recorded there.
            }

            _report.EpochsStarted = epoch + 1;
        }
    }

    private async Task<bool> SendEpochAsync(RunDataset dataset, EpochPlan plan, PipelineGraph graph, CancellationToken cancellationToken)
    {
        SampleSet set = dataset.Set;
        var epoch = new PlannedEpoch(dataset, plan);
        for (int b = 0; b < plan.BatchCount; b++)
        {
            ImageSample[] positions = Positions(set, plan, epoch, b);
            if (!await SendBatchAsync(positions, graph, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Sends one batch's positions: one message each, or in chunks of <see cref="PipelineGraph.ChunkSize"/> consecutive
    /// positions that tile the batch (its last chunk shorter when the size does not divide it). False once the graph
    /// refuses a message (it is shutting down).
    /// </summary>
    private async Task<bool> SendBatchAsync(ImageSample[] positions, PipelineGraph graph, CancellationToken cancellationToken)
    {
        if (graph.ChunkHead is { } chunks)
        {
            for (int first = 0; first < positions.Length; first += graph.ChunkSize)
            {
                ImageSample[] chunk = positions[first..Math.Min(first + graph.ChunkSize, positions.Length)];
                if (!await chunks.SendAsync(chunk, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                Interlocked.Add(ref _sent, chunk.Length);
            }

            return true;
        }

        foreach (ImageSample sample in positions)
        {
            if (!await graph.Head!.SendAsync(sample, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            Interlocked.Increment(ref _sent);
        }

        return true;
    }

    /// <summary>
    /// Every position of batch <paramref name="b"/>: its planned samples, then padding up to the batch size, so that the
    /// batch block cuts exactly at the end of a short last batch.
    /// </summary>
    private ImageSample[] Positions(SampleSet set, EpochPlan plan, PlannedEpoch epoch, int b)
    {
        int start = b * plan.BatchSize;
        int count = plan.BatchLength(b);
        var batch = new PlannedBatch(epoch, plan.FirstBatch + b, _planner.StateAfter(plan, b));
        var positions = new ImageSample[plan.BatchSize];
        for (int j = 0; j < positions.Length; j++)
        {
            positions[j] = j < count
                ? new ImageSample(set.Samples[plan.Order[start + j]], batch, start + j, plan.Rows[start + j], _ledger.Images, plan.IsRepeat(start + j))
                : new ImageSample(null, batch, start + j, -1, _ledger.Images);
        }

        return positions;
    }
}
