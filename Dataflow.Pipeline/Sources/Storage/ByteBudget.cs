namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A bound on bytes being fetched at once: readers acquire an object's length before the request and release it
/// when the bytes are in their buffer. Waiters are served first come, first served; the peak is recorded.
/// </summary>
internal sealed class ByteBudget(long capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<(long Bytes, TaskCompletionSource Granted)> _waiters = new();
    private long _used;
    private long _peak;

    public long Capacity { get; } = capacity;

    public long InUse
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    public long Peak
    {
        get
        {
            lock (_lock)
            {
                return _peak;
            }
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> (at most the capacity) fit; returns what was taken, to pass to <see cref="Release"/>.</summary>
    public async ValueTask<long> AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        bytes = Math.Clamp(bytes, 1, Capacity);
        TaskCompletionSource granted;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _used + bytes <= Capacity)
            {
                Take(bytes);
                return bytes;
            }

            granted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((bytes, granted));
        }

        using (cancellationToken.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), granted))
        {
            await granted.Task.ConfigureAwait(false);
        }

        return bytes;
    }

    public void Release(long bytes)
    {
        lock (_lock)
        {
            _used -= bytes;
            while (_waiters.Count > 0)
            {
                (long next, TaskCompletionSource granted) = _waiters.Peek();
                if (granted.Task.IsCompleted)
                {
                    _waiters.Dequeue(); // cancelled while waiting
                    continue;
                }

                if (_used + next > Capacity)
                {
                    break;
                }

                _waiters.Dequeue();
                Take(next);
                if (!granted.TrySetResult())
                {
                    _used -= next; // cancelled at the same moment
                }
            }
        }
    }

    private void Take(long bytes)
    {
        _used += bytes;
        _peak = Math.Max(_peak, _used);
    }
}
