using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// The end of the graph: batches go to a trainer callback (an action block), or wait in a bounded buffer for
/// <c>ReadAllAsync</c>. A batch counts as batched only once it is handed over, and the hand-over is atomic with
/// the clean-up (see <see cref="InFlightLedger"/>): a batch is either the consumer's or disposed, never both.
/// </summary>
internal sealed class Delivery
{
    private readonly Func<Batch, CancellationToken, ValueTask>? _trainer;
    private readonly RunControl _run;
    private readonly InFlightLedger _ledger;
    private readonly PipelineReport _report;
    private BufferBlock<Batch>? _output;

    // Taking a batch out of the stream's buffer and handing it over is one step as far as the clean-up is concerned:
    // the clean-up takes this lock too, so a consumer descheduled between the two never finds its batch reclaimed by
    // the end of a run that then reports success (the last batch of a stream was lost that way).
    private readonly Lock _handOverGate = new();

    public Delivery(Func<Batch, CancellationToken, ValueTask>? trainer, RunControl run, InFlightLedger ledger, PipelineReport report)
    {
        _trainer = trainer;
        _run = run;
        _ledger = ledger;
        _report = report;
    }

    public bool IsStream => _trainer is null;

    public ITargetBlock<Batch> CreateTarget(int prefetch, CancellationToken token)
    {
        if (_trainer is not null)
        {
            return new ActionBlock<Batch>(DeliverAsync,
                new ExecutionDataflowBlockOptions { BoundedCapacity = prefetch, MaxDegreeOfParallelism = 1, CancellationToken = token, NameFormat = "deliver" });
        }

        _output = new BufferBlock<Batch>(new DataflowBlockOptions { BoundedCapacity = prefetch, CancellationToken = token, NameFormat = "deliver" });
        // A BufferBlock completed while it still holds batches ignores a later cancellation until they are
        // taken: take them on cancellation, or a reader that left early would leave the run waiting for ever.
        token.Register(static state => ((Delivery)state!).ReclaimBuffered(), this);
        return _output;
    }

    /// <summary>The batches of a stream pipeline, each handed over to the consumer as it is yielded.</summary>
    public async IAsyncEnumerable<Batch> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BufferBlock<Batch> output = _output!;
        while (await output.OutputAvailableAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryTake(output, out Batch? batch, out bool handedOver))
            {
                if (!handedOver)
                {
                    yield break; // The clean-up reclaimed it: the run is being cancelled; its outcome follows.
                }

                yield return batch;
            }
        }
    }

    /// <summary>Test seam: runs between taking a batch from the stream's buffer and handing it over (a descheduled consumer).</summary>
    internal Action? AfterTake { get; set; }

    private bool TryTake(BufferBlock<Batch> output, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Batch? batch, out bool handedOver)
    {
        lock (_handOverGate)
        {
            if (!output.TryReceive(out batch))
            {
                handedOver = false;
                return false;
            }

            AfterTake?.Invoke();
            handedOver = HandOver(batch);
            return true;
        }
    }

    /// <summary>Disposes the batches still waiting in the stream's buffer.</summary>
    public void ReclaimBuffered() => EndRun(null);

    /// <summary>
    /// The run's clean-up, atomic with a consumer's take-and-hand-over: <paramref name="release"/> (the ledger's
    /// release of what the run still holds), then the batches still waiting in the stream's buffer are disposed.
    /// </summary>
    public void EndRun(Action? release)
    {
        lock (_handOverGate)
        {
            release?.Invoke();
            if (_output is not null && _output.TryReceiveAll(out IList<Batch>? left))
            {
                foreach (Batch b in left)
                {
                    _ledger.Reclaim(b);
                }
            }
        }
    }

    private bool HandOver(Batch batch)
    {
        if (!_ledger.TryHandOver(batch))
        {
            return false;
        }

        _report.AddBatch(batch.Labels);
        if (batch.Targets is Targets.BatchTargets targets)
        {
            _report.AddDroppedBoxes(targets.Dropped);
        }
        if (batch.IsLastInEpoch)
        {
            _report.EpochEnded(batch.Epoch);
        }

        return true;
    }

    private async Task DeliverAsync(Batch batch)
    {
        if (!HandOver(batch))
        {
            return;
        }

        try
        {
            await _trainer!(batch, _run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_run.IsCancellationRequested)
        {
            // The run is being cancelled; the trainer stopped because of it.
        }
        catch (Exception e)
        {
            // As for a fail-fast sample: keep the original exception and cancel the whole graph.
            _run.RecordFault(e);
        }
        finally
        {
            batch.Dispose();
        }
    }
}
