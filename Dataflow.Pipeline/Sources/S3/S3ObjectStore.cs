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
/// retried by the SDK's standard retry mode (<see cref="StorageOptions.MaxRetries"/>); reads are ranged GETs whose
/// bytes count against <see cref="StorageOptions.MaxBytesInFlight"/>.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly AmazonS3Client _client;
    private readonly ByteBudget _budget;
    private readonly string _endpoint;

    /// <summary>Creates a store over <paramref name="bucket"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public S3ObjectStore(string bucket, StorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        options ??= StorageOptions.Default;
        options.Validate();
        Bucket = bucket;
        string? serviceUrl = options.S3ServiceUrl
            ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3"))
            ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"));
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxRetries,
            Timeout = options.RequestTimeout,
            // S3-compatible servers do not all understand the flexible checksums the SDK sends by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        string? region = options.S3Region ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_REGION"));
        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl;
            config.ForcePathStyle = options.S3ForcePathStyle ?? true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else
        {
            config.ForcePathStyle = options.S3ForcePathStyle ?? false;
            if (region is not null)
            {
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            }
        }

        _endpoint = serviceUrl ?? "AWS S3";
        _client = options.S3Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(options.S3Credentials, config);
        _budget = new ByteBudget(options.MaxBytesInFlight);
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
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new IOException($"The bucket 's3://{Bucket}' does not exist at {_endpoint} ({e.ErrorCode}).", e);
        }
        catch (AmazonServiceException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new IOException($"Access to the bucket 's3://{Bucket}' at {_endpoint} was refused ({(int)e.StatusCode} {e.ErrorCode}): check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile).", e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
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
            ListObjectsV2Response response = await Call(prefix, () => _client.ListObjectsV2Async(request, cancellationToken)).ConfigureAwait(false);
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
    public async Task<StoredObject?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            GetObjectMetadataResponse head = await _client.GetObjectMetadataAsync(Bucket, key, cancellationToken).ConfigureAwait(false);
            return new StoredObject(key, head.ContentLength);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Wrap(key, e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.Length == 0)
        {
            return 0;
        }

        long taken = await _budget.AcquireAsync(destination.Length, cancellationToken).ConfigureAwait(false);
        try
        {
            var request = new GetObjectRequest { BucketName = Bucket, Key = key, ByteRange = new ByteRange(offset, offset + destination.Length - 1) };
            using GetObjectResponse response = await Call(key, () => _client.GetObjectAsync(request, cancellationToken)).ConfigureAwait(false);
            try
            {
                return await response.ResponseStream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Wrap(key, e);
            }
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return 0;
        }
        finally
        {
            _budget.Release(taken);
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string key, long offset, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = Bucket, Key = key };
        if (offset > 0)
        {
            request.ByteRange = new ByteRange($"bytes={offset}-");
        }

        GetObjectResponse response = await Call(key, () => _client.GetObjectAsync(request, cancellationToken)).ConfigureAwait(false);
        return new OwningStream(response.ResponseStream, response);
    }

    /// <inheritdoc />
    public async Task<Stream> OpenRangeAsync(string key, long offset, long length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var request = new GetObjectRequest { BucketName = Bucket, Key = key, ByteRange = new ByteRange(offset, offset + length - 1) };
        GetObjectResponse response = await Call(key, () => _client.GetObjectAsync(request, cancellationToken)).ConfigureAwait(false);
        return new OwningStream(response.ResponseStream, response);
    }

    /// <summary>Disposes the S3 client.</summary>
    public void Dispose() => _client.Dispose();

    private async Task<T> Call<T>(string key, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw;
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
            new StorageException($"The bucket 's3://{Bucket}' does not exist at {_endpoint} (reading '{Describe(key)}').", 404, e),
        AmazonServiceException { StatusCode: HttpStatusCode.NotFound } => new FileNotFoundException($"The object '{Describe(key)}' does not exist (404).", Describe(key), e),
        AmazonServiceException s when s.StatusCode != 0 =>
            new StorageException($"Reading '{Describe(key)}' failed with {(int)s.StatusCode} {s.ErrorCode} after the SDK's retries.", (int)s.StatusCode, e),
        _ => new StorageException($"Reading '{Describe(key)}' from {_endpoint} failed after the SDK's retries: {e.Message}", 0, e),
    };

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
