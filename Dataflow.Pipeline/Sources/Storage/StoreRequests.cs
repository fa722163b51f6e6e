namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The retry schedule every remote store runs its requests under, the same for S3 and Azure: a try that fails with a
/// transient error (<see cref="IsTransient"/>) is tried again after a back-off that starts at
/// <see cref="StorageOptions.RetryDelay"/> and doubles, with jitter, up to <see cref="MaxDelay"/>, at most
/// <see cref="StorageOptions.MaxRetries"/> times. The SDKs' own retries are off, so that this is the only schedule.
/// </summary>
internal sealed class StoreRequests
{
    /// <summary>The longest back-off between two tries.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly StorageOptions _options;

    public StoreRequests(StorageOptions options)
    {
        _options = options;
    }

    /// <summary>True for a status worth another try: no answer (0), a timeout (408), throttling (429) or a server error (5xx).</summary>
    public static bool IsTransient(int status) => status is 0 or 408 or 429 or >= 500;

    /// <summary>
    /// Runs <paramref name="attempt"/> (which throws what the store's own wrapping makes of a failure) until it succeeds,
    /// fails with a status that is not transient, or has been retried <see cref="StorageOptions.MaxRetries"/> times: then
    /// its last <see cref="StorageException"/> is thrown again, its message saying how many retries were made.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (int retry = 0; ; retry++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException e) when (IsTransient(e.Status))
            {
                if (retry >= _options.MaxRetries)
                {
                    throw new StorageException($"{e.Message}; given up after {retry} {(retry == 1 ? "retry" : "retries")}.", e.Status, e.InnerException);
                }
            }

            await Task.Delay(Delay(retry), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The back-off before retry number <paramref name="retry"/> + 1: between half and all of RetryDelay × 2^retry, at most <see cref="MaxDelay"/>.</summary>
    private TimeSpan Delay(int retry)
    {
        double full = Math.Min(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, retry), MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
