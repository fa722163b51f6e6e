using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// An S3 bucket (or an S3-compatible server) as an <see cref="IObjectStore"/>, through AWSSDK.S3. Credentials,
/// region and endpoint come from <see cref="StorageOptions"/> or the SDK's standard chain; transient errors are
/// retried on the schedule every store shares (<see cref="StorageOptions.MaxRetries"/>, <see cref="StorageOptions.RetryDelay"/>);
/// every read of a body is bounded by <see cref="StorageOptions.ReadTimeout"/>; reads are ranged GETs whose bytes count
/// against <see cref="StorageOptions.MaxBytesInFlight"/>.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IRangeReader
{
    private readonly AmazonS3Client _client;
    private readonly ByteBudget _budget;
    private readonly string _endpoint;
    private readonly StoreRequests _requests;
    private readonly TimeSpan _readTimeout;
    private readonly TimeSpan _requestTimeout;

    /// <summary>Creates a store over <paramref name="bucket"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="ArgumentException">An option is invalid, or neither an endpoint nor a region is set anywhere (the message names the options and variables).</exception>
    public S3ObjectStore(string bucket, StorageOptions? options = null)
        : this(bucket, options, Internal.EnvironmentVariables.Current, () => FallbackRegionFactory.GetRegionEndpoint()?.SystemName)
    {
    }

    /// <summary>Creates a store, reading the environment through <paramref name="environment"/> and the SDK's region chain (profile, instance metadata) through <paramref name="sdkRegion"/>.</summary>
    internal S3ObjectStore(string bucket, StorageOptions? options, Func<string, string?> environment, Func<string?> sdkRegion)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        options ??= StorageOptions.Default;
        options.Validate();
        Bucket = bucket;
        string? serviceUrl = options.S3ServiceUrl
            ?? NonEmpty(environment("AWS_ENDPOINT_URL_S3"))
            ?? NonEmpty(environment("AWS_ENDPOINT_URL"));
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            // Retries are StoreRequests' (the same schedule as Azure's, from RetryDelay), not the SDK's.
            MaxErrorRetry = 0,
            Timeout = options.RequestTimeout,
            // S3-compatible servers do not all understand the flexible checksums the SDK sends by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        string? region = options.S3Region ?? NonEmpty(environment("AWS_REGION"));
        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl;
            config.ForcePathStyle = options.S3ForcePathStyle ?? true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else
        {
            config.ForcePathStyle = options.S3ForcePathStyle ?? false;
            region ??= NonEmpty(environment("AWS_DEFAULT_REGION")) ?? NonEmpty(sdkRegion());
            if (region is null)
            {
                throw new ArgumentException(
                    $"The bucket 's3://{Bucket}' needs a region or an endpoint, and none is set: set StorageOptions.S3Region (or AWS_REGION, or a region in the AWS profile) for AWS S3, or StorageOptions.S3ServiceUrl (or AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL) for an S3-compatible server.",
                    nameof(options));
            }

            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        _endpoint = serviceUrl ?? "AWS S3";
        AWSCredentials? credentials = options.S3AccessKeyId is { } id
            ? options.S3SessionToken is { } token ? new SessionAWSCredentials(id, options.S3SecretAccessKey, token) : new BasicAWSCredentials(id, options.S3SecretAccessKey)
            : S3Storage.DefaultCredentials;
        _client = credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
        _budget = new ByteBudget(options.MaxBytesInFlight);
        _requests = new StoreRequests(options, $"'s3://{Bucket}' at {_endpoint}");
        _readTimeout = options.ReadTimeout;
        _requestTimeout = options.RequestTimeout;
    }

    /// <summary>The bucket.</summary>
    public string Bucket { get; }

    /// <summary>The most bytes that were being fetched at once so far.</summary>
    public long PeakBytesInFlight => _budget.Peak;

    /// <summary>Bytes being fetched now.</summary>
    public long BytesInFlight => _budget.InUse;

    /// <inheritdoc />
    public string Describe(string key) => $"s3://{Bucket}/{key}";

    /// <inheritdoc />
    public async Task CheckAccessAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _requests.RunAsync(
                ct => Call("", () => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, MaxKeys = 1 }, ct), ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Status == 404)
        {
            throw new IOException($"The bucket 's3://{Bucket}' does not exist at {_endpoint} ({(e.InnerException as AmazonServiceException)?.ErrorCode}).", e);
        }
        catch (StorageException e) when (e.Status is 401 or 403)
        {
            throw new IOException($"Access to the bucket 's3://{Bucket}' at {_endpoint} was refused ({e.Status} {(e.InnerException as AmazonServiceException)?.ErrorCode}): check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile).", e);
        }
        catch (StorageException e)
        {
            throw new IOException($"The bucket 's3://{Bucket}' at {_endpoint} cannot be reached: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            ListObjectsV2Response response = await _requests.RunAsync(ct => Call(prefix, () => _client.ListObjectsV2Async(request, ct), ct), cancellationToken).ConfigureAwait(false);
            foreach (S3Object item in response.S3Objects ?? [])
            {
                yield return new StoredObject(item.Key, item.Size ?? 0);
            }

            if (response.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc />
    async ValueTask<int> IRangeReader.ReadRangeAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.Length == 0)
        {
            return 0;
        }

        long taken = await _budget.AcquireAsync(destination.Length, cancellationToken).ConfigureAwait(false);
        try
        {
            // The request and the read of its body are one try: a body that stalls or breaks is asked for again.
            return await _requests.RunAsync(async ct =>
            {
                var request = new GetObjectRequest { BucketName = Bucket, Key = key, ByteRange = new ByteRange(offset, offset + destination.Length - 1) };
                try
                {
                    using Stream body = await OpenAsync(key, request, ct).ConfigureAwait(false);
                    return await body.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                }
                catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    return 0;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _budget.Release(taken);
        }
    }

    /// <inheritdoc />
    /// <remarks>To the end, a body that breaks or stalls is asked for again from the byte it stopped at, on the store's retry
    /// schedule. A range is one request whose break surfaces as a <see cref="StorageException"/> (the shard stream reopens
    /// where it stopped).</remarks>
    public async Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        if (ObjectReads.IsEmptyRange(offset, length))
        {
            return Stream.Null;
        }

        if (length is long count)
        {
            var ranged = new GetObjectRequest { BucketName = Bucket, Key = key, ByteRange = new ByteRange(offset, offset + count - 1) };
            return await _requests.RunAsync(async ct =>
            {
                try
                {
                    return await OpenAsync(key, ranged, ct).ConfigureAwait(false);
                }
                catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    return Stream.Null;
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        Task<Stream> From(long start, CancellationToken ct)
        {
            var request = new GetObjectRequest { BucketName = Bucket, Key = key };
            if (start > 0)
            {
                request.ByteRange = new ByteRange($"bytes={start}-");
            }

            return OpenAsync(key, request, ct);
        }

        Stream first;
        try
        {
            first = await _requests.RunAsync(ct => From(offset, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // From past the object's end: nothing to read.
            return Stream.Null;
        }

        return new ResumingReadStream(_requests, From, first, offset);
    }


    /// <summary>Disposes the S3 client.</summary>
    public void Dispose() => _client.Dispose();

    /// <summary>Sends <paramref name="request"/>; its body is read through a <see cref="StoreReadStream"/> (every read bounded by <see cref="StorageOptions.ReadTimeout"/>).</summary>
    private async Task<Stream> OpenAsync(string key, GetObjectRequest request, CancellationToken cancellationToken)
    {
        GetObjectResponse response = await Call(key, () => _client.GetObjectAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new StoreReadStream(response.ResponseStream, response, Describe(key), _readTimeout);
    }

    private async Task<T> Call<T>(string key, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && StoreRequests.IsTimeout(e))
        {
            // The HTTP client's own timeout (RequestTimeout), not a cancellation of the run.
            throw new StorageException($"Reading '{Describe(key)}' from {_endpoint} got no answer within {_requestTimeout.TotalSeconds:0.###} s (StorageOptions.RequestTimeout)", 0, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Wrap(key, e);
        }
    }

    private Exception Wrap(string key, Exception e) => e switch
    {
        FileNotFoundException or StorageException => e,
        AmazonServiceException { StatusCode: HttpStatusCode.NotFound } s when s.ErrorCode == "NoSuchBucket" =>
            new StorageException($"The bucket 's3://{Bucket}' does not exist at {_endpoint} (reading '{Describe(key)}')", 404, e),
        AmazonServiceException { StatusCode: HttpStatusCode.NotFound } => new FileNotFoundException($"The object '{Describe(key)}' does not exist (404).", Describe(key), e),
        AmazonServiceException s when s.StatusCode != 0 =>
            new StorageException($"Reading '{Describe(key)}' failed with {(int)s.StatusCode} {s.ErrorCode}", (int)s.StatusCode, e),
        _ => new StorageException($"Reading '{Describe(key)}' from {_endpoint} failed: {e.Message}", 0, e),
    };

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
