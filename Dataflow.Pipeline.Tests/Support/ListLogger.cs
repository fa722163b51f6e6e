using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>A log entry as a test sees it.</summary>
internal sealed record LogEntry(LogLevel Level, EventId Event, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> State);

/// <summary>Keeps every entry.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
        _entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception, values));
    }
}
