using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// The assemble stage: each group of the batch block becomes a <see cref="Batch"/> (or nothing, when every
/// sample of it was skipped). It runs on one worker, in order, so it also sees where each epoch ends.
/// </summary>
internal sealed class AssembleStage
{
    private readonly RunControl _run;
    private readonly InFlightLedger _ledger;
    private readonly PipelineReport _report;
    private readonly StageRunner _runner;
    private readonly BatchAugmentStage? _batchAugment;
    private long _received;
    private int _epoch = -1;
    private long _rowsInEpoch;

    public AssembleStage(RunControl run, InFlightLedger ledger, PipelineReport report, StageRunner runner, BatchAugmentStage? batchAugment = null)
    {
        _batchAugment = batchAugment;
        _runner = runner;
        _run = run;
        _ledger = ledger;
        _report = report;
    }

    /// <summary>Messages (positions and padding) that reached this stage.</summary>
    public long Received => Interlocked.Read(ref _received);

    public IEnumerable<Batch> Assemble(ImageSample[] group)
    {
        Interlocked.Add(ref _received, group.Length);
        foreach (ImageSample s in group)
        {
            if (s.IsSkipped && !s.IsReported)
            {
                // Skipped by a user's own block (ImageSample.Skip), which no stage wrapper saw: listed here.
                _runner.Report(s, "user block", s.SkipReason!);
            }
        }

        Batch? batch;
        try
        {
            batch = group[0].Batch.Epoch.Dataset.Assembler.Assemble(group);
        }
        catch (Exception e)
        {
            // A user block broke the message order: end the run, as for any fault.
            _run.RecordFault(e);
            return [];
        }

        ImageSample first = group[0];
        if (first.Epoch != _epoch)
        {
            _epoch = first.Epoch;
            _rowsInEpoch = 0;
        }

        _rowsInEpoch += batch?.Count ?? 0;
        if (first.BatchIndex == first.BatchesInEpoch - 1 && _rowsInEpoch == 0 && first.EpochLength > 0)
        {
            // Skipping every sample is not a result: a run that can batch nothing ends with the reasons.
            batch?.Dispose();
            _run.RecordFault(FailureBudget.NothingBatched(_report, first.Epoch, first.EpochLength));
            return [];
        }

        if (batch is null)
        {
            return []; // Every sample of this batch was skipped; the report lists them.
        }

        if (_batchAugment is not null && !_batchAugment.TryApply(batch, _run))
        {
            return [];
        }

        _ledger.Assembled(batch);
        return [batch];
    }
}
