using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Dataflow.Samples.Bench;

/// <summary>
/// Records every method the runtime compiles while a bench child runs, with its compile time, from the runtime's own
/// JIT events (<c>DATAFLOW_BENCH_JIT_LOG=FILE</c>): what a ReadyToRun build still compiles before the first batch, and
/// what that costs. Lines are "ms-since-start thread compile-ms method", in the order compiled.
/// </summary>
internal sealed class JitLog : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentDictionary<long, (long Id, DateTime Started)> _started = new();
    private readonly DateTime _originUtc = DateTime.UtcNow;
    private readonly string _path;

    private JitLog(string path) => _path = path;

    /// <summary>A log when <c>DATAFLOW_BENCH_JIT_LOG</c> names a file; otherwise null.</summary>
    public static JitLog? FromEnvironment() =>
        Environment.GetEnvironmentVariable("DATAFLOW_BENCH_JIT_LOG") is { Length: > 0 } path ? new JitLog(path) : null;

    /// <summary>Marks a moment (the pipeline's start, its first batch) among the compiled methods.</summary>
    public void Mark(string what) => _lines.Enqueue($"{(DateTime.UtcNow - _originUtc).TotalMilliseconds:F1} -- {what}");

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName == "MethodJittingStarted_V1" || e.EventName == "MethodJittingStarted")
        {
            _started[e.OSThreadId] = (Convert.ToInt64(e.Payload![0], CultureInfo.InvariantCulture), e.TimeStamp);
        }
        else if (e.EventName is { } name && name.StartsWith("MethodLoadVerbose", StringComparison.Ordinal))
        {
            double compile = _started.TryRemove(e.OSThreadId, out var s) ? (e.TimeStamp - s.Started).TotalMilliseconds : double.NaN;
            double at = (e.TimeStamp - _originUtc).TotalMilliseconds;
            _lines.Enqueue($"{at:F1} {e.OSThreadId} {compile:F2} {e.Payload![6]}:{e.Payload[7]}");
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        File.WriteAllLines(_path, _lines);
    }
}
