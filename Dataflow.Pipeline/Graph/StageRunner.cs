using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// What every per-image stage shares: its clock, the error policy applied to whatever it throws, and the
/// failure budget. A stage body is a plain method on an <see cref="ImageSample"/>; this wraps it for a block.
/// </summary>
internal sealed class StageRunner
{
    private readonly RunControl _run;
    private readonly InFlightLedger _ledger;
    private readonly PipelineReport _report;
    private readonly FailureBudget _budget;
    private readonly ErrorPolicy _policy;

    public StageRunner(RunControl run, InFlightLedger ledger, PipelineReport report, FailureBudget budget, ErrorPolicy policy)
    {
        _run = run;
        _ledger = ledger;
        _report = report;
        _budget = budget;
        _policy = policy;
    }

    /// <summary>Runs <paramref name="work"/> on a sample that is still live; a failure skips it (or fails the run) naming <paramref name="stage"/>.</summary>
    public ImageSample Run(ImageSample sample, string stage, StageClock clock, Action<ImageSample> work)
    {
        if (!sample.IsLive)
        {
            return sample;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            work(sample);
            sample.ThrowIfImageDisposed(stage);
            if (sample.SkipReason is string reason)
            {
                // The stage rejected the sample itself (ImageSample.Skip): listed like any skip, never a fault.
                _ledger.Forget(sample);
                Report(sample, stage, reason);
            }
            else
            {
                _report.AddCompleted(stage, sample);
            }
        }
        catch (Exception e)
        {
            Fail(sample, stage, e);
        }

        clock.AddSince(start);
        return sample;
    }

    /// <summary>As <see cref="Run"/> for an asynchronous body.</summary>
    public async Task<ImageSample> RunAsync(ImageSample sample, string stage, StageClock clock, Func<ImageSample, CancellationToken, ValueTask> work)
    {
        if (!sample.IsLive)
        {
            return sample;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            await work(sample, _run.Token).ConfigureAwait(false);
            _report.AddCompleted(stage, sample);
        }
        catch (Exception e)
        {
            Fail(sample, stage, e);
        }

        clock.AddSince(start);
        return sample;
    }

    private void Fail(ImageSample sample, string stage, Exception e)
    {
        if (e is OperationCanceledException && _run.IsCancellationRequested)
        {
            // Cancellation: Dataflow drops the message, so its data is released here.
            _ledger.Release(sample);
            ExceptionDispatchInfo.Throw(e);
        }

        sample.Skip($"{stage}: {e.Message}");
        sample.IsReported = true;
        _ledger.Forget(sample);
        if (e is StoreUnavailableException)
        {
            // The store is down, not the sample bad: the run ends naming the store, whatever the policy, and
            // nothing is charged to the failure budget.
            _run.RecordFault(e);
            return;
        }

        if (_policy == ErrorPolicy.FailFast)
        {
            // The run ends with this exception. The block itself is not faulted: a block faulting under a
            // full upstream block can leave that block waiting forever; cancelling every block at once cannot.
            _run.RecordFault(new SampleFailedException(sample.Info!.Id, stage, e));
            return;
        }

        Report(sample, stage, e.Message);
    }

    /// <summary>Lists a skipped sample in the report and charges it to the failure budget.</summary>
    public void Report(ImageSample sample, string stage, string reason)
    {
        sample.IsReported = true;
        _report.AddSkipped(new SkippedSample(sample.Info!.Id, sample.Epoch, stage, reason));
        if (_budget.IsExceeded(_report, sample.Epoch, sample.EpochLength) is { } exceeded)
        {
            _run.RecordFault(exceeded);
        }
    }
}
