using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// How datasets in object storage are reached: endpoints, credentials, retries and the bound on bytes in flight.
/// Each value left null falls back to the SDK's standard chain (environment variables, profiles).
/// </summary>
public sealed class StorageOptions
{
    /// <summary>
    /// The most bytes that reads from one store may be fetching at once (summed over parallel requests), whatever
    /// the dataset's size. A single object larger than the bound is fetched alone.
    /// </summary>
    /// <value>64 MiB.</value>
    public long MaxBytesInFlight { get; init; } = 64L << 20;

    /// <summary>How often a request that failed with a transient error (5xx, 408, 429, no answer, a stalled body) is retried.</summary>
    /// <remarks>The same schedule on every store: the delays start at <see cref="RetryDelay"/> and double (with jitter) up
    /// to 10 s. A request (with the read of its body) is one try.</remarks>
    /// <value>4.</value>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first back-off delay between tries of a request, on every store.</summary>
    /// <value>0.2 s, doubling up to 10 s.</value>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long one request may wait for its response's headers before it counts as failed (and is retried).</summary>
    /// <value>100 s.</value>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How long one read of a response's body (an object's bytes, a shard's stream) may wait for its next bytes before
    /// it counts as stalled: the connection is closed and the read retried (a shard stream is reopened where it stopped).
    /// </summary>
    /// <value>30 s.</value>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a store may keep failing (no answer, a stalled body, or a server error, after the retries) before the
    /// run faults naming it with <see cref="StoreUnavailableException"/>, whatever the <see cref="ErrorPolicy"/>.
    /// </summary>
    /// <remarks>
    /// A store fault is not a bad sample: its requests are retried with back-off (at least <see cref="MaxRetries"/>
    /// times, and on while the store has been failing for less than this, counted from its first failure since its
    /// last success), and no sample is skipped or charged to the failure budget for it. Zero: the run faults as soon
    /// as a request has failed its retries.
    /// </remarks>
    /// <value>1 minute.</value>
    public TimeSpan MaxOutage { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Failed tries in a row (no success between, over every read of the store) after which the store's breaker opens:
    /// tries go one at a time, each after its back-off, until one succeeds.
    /// </summary>
    /// <value>8.</value>
    public int BreakerFailures { get; init; } = 8;

    /// <summary>The S3 endpoint, for S3-compatible servers; null for <c>AWS_ENDPOINT_URL_S3</c>, then <c>AWS_ENDPOINT_URL</c>, then AWS itself.</summary>
    public string? S3ServiceUrl { get; init; }

    /// <summary>Path-style addressing (<c>host/bucket/key</c>); null for "on when an endpoint is overridden".</summary>
    public bool? S3ForcePathStyle { get; init; }

    /// <summary>The S3 region; null for the SDK's chain (<c>AWS_REGION</c>, profile), or us-east-1 with an endpoint override.</summary>
    public string? S3Region { get; init; }

    /// <summary>
    /// The S3 access key id; with <see cref="S3SecretAccessKey"/> (and <see cref="S3SessionToken"/> for temporary keys) the
    /// credentials of every S3 request. Null for the credentials given to <c>S3Storage.Register</c>, else the SDK's
    /// default chain (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, profiles, instance roles).
    /// </summary>
    public string? S3AccessKeyId { get; init; }

    /// <summary>The S3 secret access key that goes with <see cref="S3AccessKeyId"/>.</summary>
    public string? S3SecretAccessKey { get; init; }

    /// <summary>The session token of temporary S3 credentials (with <see cref="S3AccessKeyId"/>); null for long-term keys.</summary>
    public string? S3SessionToken { get; init; }

    /// <summary>The Azure Storage connection string for <c>az://</c> locations; null for <c>AZURE_STORAGE_CONNECTION_STRING</c>.</summary>
    public string? AzureConnectionString { get; init; }

    /// <summary>The defaults.</summary>
    public static StorageOptions Default { get; } = new();

    /// <summary>Checks every value; one exception lists every failure.</summary>
    /// <exception cref="PipelineOptionsException">A value is out of range; one exception lists every failure, each naming the option, the allowed values and the value given.</exception>
    public void Validate()
    {
        var checks = new OptionChecks();
        Check(checks);
        checks.ThrowIfAny();
    }

    /// <summary>Adds a failure to <paramref name="checks"/> for every value out of range.</summary>
    internal void Check(OptionChecks checks)
    {
        if (MaxBytesInFlight < 4096)
        {
            checks.Add(nameof(MaxBytesInFlight), $"Parameter \"MaxBytesInFlight\" must be at least 4096, was {MaxBytesInFlight}.");
        }

        if (MaxRetries is < 0 or > 20)
        {
            checks.Add(nameof(MaxRetries), $"Parameter \"MaxRetries\" must be between 0 and 20, was {MaxRetries}.");
        }

        if (RetryDelay <= TimeSpan.Zero || RetryDelay > TimeSpan.FromMinutes(1))
        {
            checks.Add(nameof(RetryDelay), $"Parameter \"RetryDelay\" must be between 0 and 1 minute (exclusive of 0), was {RetryDelay}.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            checks.Add(nameof(RequestTimeout), $"Parameter \"RequestTimeout\" must be positive, was {RequestTimeout}.");
        }

        if (ReadTimeout <= TimeSpan.Zero || ReadTimeout > TimeSpan.FromHours(1))
        {
            checks.Add(nameof(ReadTimeout), $"Parameter \"ReadTimeout\" must be between 0 and 1 hour (exclusive of 0), was {ReadTimeout}.");
        }

        if (MaxOutage < TimeSpan.Zero || MaxOutage > TimeSpan.FromHours(1))
        {
            checks.Add(nameof(MaxOutage), $"Parameter \"MaxOutage\" must be between 0 and 1 hour, was {MaxOutage}.");
        }

        if (BreakerFailures is < 1 or > 1000)
        {
            checks.Add(nameof(BreakerFailures), $"Parameter \"BreakerFailures\" must be between 1 and 1000, was {BreakerFailures}.");
        }

        if (S3ServiceUrl is not null && !Uri.TryCreate(S3ServiceUrl, UriKind.Absolute, out _))
        {
            checks.Add(nameof(S3ServiceUrl), $"Parameter \"S3ServiceUrl\" must be an absolute URL, was \"{S3ServiceUrl}\".");
        }

        if ((S3AccessKeyId is null) != (S3SecretAccessKey is null))
        {
            checks.Add(S3AccessKeyId is null ? nameof(S3AccessKeyId) : nameof(S3SecretAccessKey),
                $"Parameters \"S3AccessKeyId\" and \"S3SecretAccessKey\" go together: set both or neither (the {(S3AccessKeyId is null ? "key id" : "secret")} is missing).");
        }

        if (S3SessionToken is not null && S3AccessKeyId is null)
        {
            checks.Add(nameof(S3SessionToken), "Parameter \"S3SessionToken\" needs \"S3AccessKeyId\" and \"S3SecretAccessKey\": a session token belongs to temporary keys.");
        }
    }
}
