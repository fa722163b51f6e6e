using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;

namespace Dataflow.Pipeline.Diagnostics;

/// <summary>
/// What one run tells the outside while it runs: counts and busy time to the meter, queue depths to its gauge,
/// skips and faults to the user's logger (when one was given). Fed by the report's own bookkeeping.
/// </summary>
internal sealed class PipelineDiagnostics
{
    private static readonly Action<ILogger, string, int, string, string, Exception?> LogSkipped = LoggerMessage.Define<string, int, string, string>(
        LogLevel.Warning, new EventId(1, "SampleSkipped"), "Skipped {Path} in epoch {Epoch} at the {Stage} stage: {Reason}");

    private static readonly Action<ILogger, string, Exception?> LogFaulted = LoggerMessage.Define<string>(
        LogLevel.Error, new EventId(2, "RunFaulted"), "The pipeline run faulted: {Message}");

    private static readonly Action<ILogger, string, Exception?> LogCompleted = LoggerMessage.Define<string>(
        LogLevel.Information, new EventId(3, "RunCompleted"), "The pipeline run completed: {Report}");

    private static readonly Action<ILogger, Exception?> LogCancelled = LoggerMessage.Define(
        LogLevel.Information, new EventId(4, "RunCancelled"), "The pipeline run was cancelled.");

    private static readonly Action<ILogger, int, int, string, Exception?> LogSharded = LoggerMessage.Define<int, int, string>(
        LogLevel.Information, new EventId(5, "RunSharded"), "This process is rank {Rank} of {WorldSize} ({Source}): it streams its part of every epoch.");

    private static readonly Action<ILogger, string, Exception?> LogLauncherNotRead = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(6, "LauncherVariablesNotRead"),
        "Launcher variables are set but not read ({Variables}): this process streams every sample of every epoch. For one part per process, set PipelineOptions.ReadLauncherEnvironment = true (or Rank and WorldSize).");

    private static readonly Action<ILogger, int, Exception?> LogEpochRepeated = LoggerMessage.Define<int>(
        LogLevel.Warning, new EventId(7, "EpochRepeated"),
        "Epoch {Epoch} was already streamed by an earlier pipeline of this process over the same data with the same seed and options: the same order and augmentation again. A pipeline built per epoch sets FirstEpoch = epoch and Epochs = epoch + 1 (or reads ImageLoader.ReadEpochAsync(epoch)).");

    private readonly PipelineMetrics _metrics;
    private readonly ILogger? _logger;

    public PipelineDiagnostics(Meter? meter, ILogger? logger)
    {
        _metrics = PipelineMetrics.For(meter);
        _logger = logger;
    }

    /// <summary>Reports the blocks' queue depths until <paramref name="completion"/> ends, then logs the outcome.</summary>
    public void Attach(IReadOnlyList<IDataflowBlock> blocks, Task completion, PipelineReport report)
    {
        _metrics.Watch(blocks);
        if (_logger is not null && report.Placement.WorldSize > 1)
        {
            LogSharded(_logger, report.Placement.Rank, report.Placement.WorldSize, report.Placement.Source, null);
        }

        if (_logger is not null && report.UnreadLauncherVariables is string unread)
        {
            LogLauncherNotRead(_logger, unread, null);
        }

        completion.ContinueWith(t =>
        {
            _metrics.Unwatch(blocks);
            if (_logger is null)
            {
                return;
            }

            if (t.IsFaulted)
            {
                Exception e = t.Exception!.InnerExceptions.Count == 1 ? t.Exception.InnerException! : t.Exception;
                LogFaulted(_logger, e.Message, e);
            }
            else if (t.IsCanceled)
            {
                LogCancelled(_logger, null);
            }
            else
            {
                LogCompleted(_logger, report.ToString(), null);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The run starts an epoch that an earlier pipeline of the process streamed with the same options.</summary>
    public void EpochRepeated(int epoch)
    {
        if (_logger is not null)
        {
            LogEpochRepeated(_logger, epoch, null);
        }
    }

    /// <summary>A stage finished a sample that is still live.</summary>
    /// <remarks>Each instrument is fed only while something listens to it (<see cref="Instrument.Enabled"/>): unheard, a
    /// measurement costs nothing, and the instruments' generic recording code is not even compiled.</remarks>
    public void Completed(string stage, ImageSample sample)
    {
        switch (stage)
        {
            case "read":
                Add(_metrics.ImagesRead, 1);
                Add(_metrics.BytesRead, sample.Bytes?.Length ?? 0);
                break;
            case "decode":
                Add(_metrics.ImagesDecoded, 1);
                break;
        }
    }

    public void Skipped(SkippedSample skipped)
    {
        if (_metrics.ImagesSkipped.Enabled)
        {
            _metrics.ImagesSkipped.Add(1, new KeyValuePair<string, object?>("stage", skipped.Stage));
        }

        if (_logger is not null)
        {
            LogSkipped(_logger, skipped.Path, skipped.Epoch, skipped.Stage, skipped.Reason, null);
        }
    }

    public void Batched(int rows)
    {
        Add(_metrics.Batches, 1);
        Add(_metrics.ImagesBatched, rows);
    }

    public void BusyTime(string stage, long stopwatchTicks)
    {
        if (_metrics.StageBusyTime.Enabled)
        {
            _metrics.StageBusyTime.Add((double)stopwatchTicks / Stopwatch.Frequency, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    /// <summary>Adds to a counter only while something listens to it.</summary>
    private static void Add(Counter<long> counter, long value)
    {
        if (counter.Enabled)
        {
            counter.Add(value);
        }
    }
}
