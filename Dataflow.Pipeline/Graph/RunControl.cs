using System.Runtime.ExceptionServices;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// The run's one cancellation source and its first fault. Every block shares the token, so a fault anywhere
/// (a fail-fast sample, a throwing trainer, a broken block) stops the whole graph at once; the first exception
/// recorded is the one <c>Completion</c> reports.
/// </summary>
internal sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private ExceptionDispatchInfo? _fault;

    public RunControl(CancellationToken cancellationToken)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public CancellationToken Token => _cts.Token;

    public bool IsCancellationRequested => _cts.IsCancellationRequested;

    /// <summary>The first fault recorded, or null.</summary>
    public Exception? Fault => _fault?.SourceException;

    /// <summary>Records <paramref name="exception"/> as the run's outcome unless another came first, and stops the run.</summary>
    public void RecordFault(Exception exception)
    {
        Interlocked.CompareExchange(ref _fault, ExceptionDispatchInfo.Capture(exception), null);
        Cancel();
    }

    /// <summary>Throws the recorded fault with its original stack, if there is one.</summary>
    public void ThrowIfFaulted() => _fault?.Throw();

    public void Cancel()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run is over and disposed: nothing left to stop.
        }
    }

    public void Dispose() => _cts.Dispose();
}
