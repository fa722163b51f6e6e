namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The retry schedule every remote store runs its requests under, the same for S3 and Azure, and the store's health.
/// A try that fails with a transient error (<see cref="IsTransient"/>) is tried again after a back-off that starts at
/// <see cref="StorageOptions.RetryDelay"/> and doubles, with jitter, up to <see cref="MaxDelay"/>: at least
/// <see cref="StorageOptions.MaxRetries"/> times, and on while the store has been failing for less than
/// <see cref="StorageOptions.MaxOutage"/>; then the store is declared unavailable (<see cref="StoreUnavailableException"/>)
/// and every later request fails at once. After <see cref="StorageOptions.BreakerFailures"/> failed tries in a row
/// (no success between, over every caller) the breaker is open: tries go one at a time, each after its back-off,
/// until one succeeds. The SDKs' own retries are off, so that this is the only schedule.
/// </summary>
internal sealed class StoreRequests
{
    /// <summary>The longest back-off between two tries.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly StorageOptions _options;
    private readonly string _store;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _probe = new(1, 1);
    private int _failuresInARow;
    private long _failingSince;
    private StoreUnavailableException? _down;

    /// <param name="options">The schedule and the bounds.</param>
    /// <param name="store">The store, for messages: <c>'s3://bucket' at endpoint</c>.</param>
    public StoreRequests(StorageOptions options, string store)
    {
        _options = options;
        _store = store;
    }

    /// <summary>True while the breaker is open: tries go one at a time.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _failuresInARow >= _options.BreakerFailures;
            }
        }
    }

    /// <summary>True for a status worth another try: no answer (0), a timeout (408), throttling (429) or a server error (5xx).</summary>
    public static bool IsTransient(int status) => status is 0 or 408 or 429 or >= 500;

    /// <summary>
    /// True when <paramref name="e"/>, or an exception inside it, is a timeout (the HTTP client's own, which the SDKs
    /// surface as a cancellation, as a <see cref="TimeoutException"/>, or wrapped in their client exception).
    /// </summary>
    public static bool IsTimeout(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is OperationCanceledException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> (which throws what the store's own wrapping makes of a failure) until it succeeds
    /// or fails with a status that is not transient (thrown as it is); a transient failure is retried as the type's
    /// summary says, then thrown as a <see cref="StoreUnavailableException"/>.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        long firstFailure = 0;
        for (int retry = 0; ; retry++)
        {
            ThrowIfDown();
            bool gated = false;
            if (IsOpen)
            {
                await _probe.WaitAsync(cancellationToken).ConfigureAwait(false);
                gated = true;
                if (!IsOpen)
                {
                    // It closed while this one waited: no need to go one at a time.
                    _probe.Release();
                    gated = false;
                }
            }

            try
            {
                ThrowIfDown();
                try
                {
                    T result = await attempt(cancellationToken).ConfigureAwait(false);
                    Succeeded();
                    return result;
                }
                catch (Exception e) when (e is FileNotFoundException or StorageException && !(e is StorageException s && IsTransient(s.Status)))
                {
                    // The store answered (a missing object, a refusal): it is up, whatever the request's fate.
                    Succeeded();
                    throw;
                }
                catch (StorageException e)
                {
                    long now = System.Diagnostics.Stopwatch.GetTimestamp();
                    firstFailure = firstFailure == 0 ? now : firstFailure;
                    TimeSpan failing = System.Diagnostics.Stopwatch.GetElapsedTime(Math.Min(firstFailure, Failed(now)), now);
                    if (retry >= _options.MaxRetries && failing >= _options.MaxOutage)
                    {
                        throw Declare(e, retry, failing);
                    }
                }

                // Under an open breaker the back-off is waited holding the gate: the others wait behind it.
                await Task.Delay(Delay(retry), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (gated)
                {
                    _probe.Release();
                }
            }
        }
    }

    private void ThrowIfDown()
    {
        StoreUnavailableException? down;
        lock (_lock)
        {
            down = _down;
        }

        if (down is not null)
        {
            // A new instance per caller: one exception object is not thrown on several threads at once.
            throw new StoreUnavailableException(down.Store, down.Message, (StorageException)down.InnerException!);
        }
    }

    private void Succeeded()
    {
        lock (_lock)
        {
            _failuresInARow = 0;
            _failingSince = 0;
        }
    }

    /// <summary>Counts a failed try; returns when the store started failing (the first failure since its last success).</summary>
    private long Failed(long now)
    {
        lock (_lock)
        {
            _failuresInARow++;
            if (_failingSince == 0)
            {
                _failingSince = now;
            }

            return _failingSince;
        }
    }

    private StoreUnavailableException Declare(StorageException last, int retries, TimeSpan failing)
    {
        var given = new StorageException($"{last.Message}; given up after {retries} {(retries == 1 ? "retry" : "retries")}.", last.Status, last.InnerException);
        var down = new StoreUnavailableException(_store,
            $"The store {_store} is unavailable: it kept failing for {failing.TotalSeconds:0.0} s (StorageOptions.MaxOutage is {_options.MaxOutage.TotalSeconds:0.###} s). {given.Message}",
            given);
        lock (_lock)
        {
            _down ??= down;
        }

        return down;
    }

    /// <summary>The back-off before retry number <paramref name="retry"/> + 1: between half and all of RetryDelay × 2^retry, at most <see cref="MaxDelay"/>.</summary>
    private TimeSpan Delay(int retry)
    {
        double full = Math.Min(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 30)), MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
