using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Dataflow.Tools.Bench;

/// <summary>
/// Records every method the runtime compiles and every type it loads while a bench child runs, with the time each took,
/// from the runtime's own events (<c>DATAFLOW_BENCH_JIT_LOG=FILE</c>): what a ReadyToRun build still compiles and loads
/// before the first batch, and what that costs. Lines are "ms-since-start thread ms method" for a compiled method and
/// "ms-since-start thread ms type:NAME" for a loaded type (nested loads are inside their parent's time), in order.
/// </summary>
internal sealed class JitLog : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private const EventKeywords TypeDiagnosticKeyword = (EventKeywords)0x8000000000;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentDictionary<long, (long Id, DateTime Started)> _started = new();
    private readonly ConcurrentDictionary<(long Thread, long Id), DateTime> _typeStarted = new();
    private readonly DateTime _originUtc = DateTime.UtcNow;
    private readonly string _path;

    private JitLog(string path) => _path = path;

    /// <summary>A log when <c>DATAFLOW_BENCH_JIT_LOG</c> names a file; otherwise null.</summary>
    public static JitLog? FromEnvironment() =>
        Environment.GetEnvironmentVariable("DATAFLOW_BENCH_JIT_LOG") is { Length: > 0 } path ? new JitLog(path) : null;

    /// <summary>Marks a moment (the pipeline's start, its first batch) among the compiled methods.</summary>
    public void Mark(string what) => _lines.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{(DateTime.UtcNow - _originUtc).TotalMilliseconds:F1} -- {what}"));

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, JitKeyword | TypeDiagnosticKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName == "MethodJittingStarted_V1" || e.EventName == "MethodJittingStarted")
        {
            _started[e.OSThreadId] = (Convert.ToInt64(e.Payload![0], CultureInfo.InvariantCulture), e.TimeStamp);
        }
        else if (e.EventName == "TypeLoadStart")
        {
            _typeStarted[(e.OSThreadId, Convert.ToInt64(e.Payload![0], CultureInfo.InvariantCulture))] = e.TimeStamp;
        }
        else if (e.EventName == "TypeLoadStop")
        {
            double load = _typeStarted.TryRemove((e.OSThreadId, Convert.ToInt64(e.Payload![0], CultureInfo.InvariantCulture)), out DateTime started)
                ? (e.TimeStamp - started).TotalMilliseconds : double.NaN;
            _lines.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{(e.TimeStamp - _originUtc).TotalMilliseconds:F1} {e.OSThreadId} {load:F2} type:{e.Payload![4]}"));
        }
        else if (e.EventName is { } name && name.StartsWith("MethodLoadVerbose", StringComparison.Ordinal))
        {
            double compile = _started.TryRemove(e.OSThreadId, out var s) ? (e.TimeStamp - s.Started).TotalMilliseconds : double.NaN;
            double at = (e.TimeStamp - _originUtc).TotalMilliseconds;
            _lines.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{at:F1} {e.OSThreadId} {compile:F2} {e.Payload![6]}:{e.Payload[7]}"));
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        File.WriteAllLines(_path, _lines);
    }
}
