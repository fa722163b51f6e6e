using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// An Azure Blob container as an <see cref="IObjectStore"/>, through Azure.Storage.Blobs. Transient errors are
/// retried on the schedule every store shares (<see cref="StorageOptions.MaxRetries"/>,
/// <see cref="StorageOptions.RetryDelay"/>); every read of a body is bounded by <see cref="StorageOptions.ReadTimeout"/>;
/// reads are ranged downloads whose bytes count against <see cref="StorageOptions.MaxBytesInFlight"/>.
/// </summary>
public sealed class AzureBlobObjectStore : IObjectStore, IRangeReader
{
    private readonly BlobContainerClient _container;
    private readonly ByteBudget _budget;
    private readonly StoreRequests _requests;
    private readonly TimeSpan _readTimeout;
    private readonly TimeSpan _requestTimeout;

    /// <summary>Creates a store over <paramref name="container"/> of the account named by <paramref name="connectionString"/>.</summary>
    public AzureBlobObjectStore(string connectionString, string container, StorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(container);
        options ??= StorageOptions.Default;
        options.Validate();
        _container = new BlobContainerClient(connectionString, container, ClientOptions(options));
        _budget = new ByteBudget(options.MaxBytesInFlight);
        _requests = new StoreRequests(options, $"'az://{_container.Name}' at {_container.Uri.GetLeftPart(UriPartial.Authority)}");
        _readTimeout = options.ReadTimeout;
        _requestTimeout = options.RequestTimeout;
    }

    /// <summary>Creates a store over a container URL (with a SAS token in its query, or a public container).</summary>
    public AzureBlobObjectStore(Uri containerUri, StorageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(containerUri);
        options ??= StorageOptions.Default;
        options.Validate();
        _container = new BlobContainerClient(containerUri, ClientOptions(options));
        _budget = new ByteBudget(options.MaxBytesInFlight);
        _requests = new StoreRequests(options, $"'az://{_container.Name}' at {_container.Uri.GetLeftPart(UriPartial.Authority)}");
        _readTimeout = options.ReadTimeout;
        _requestTimeout = options.RequestTimeout;
    }

    /// <summary>The container.</summary>
    public string Container => _container.Name;

    /// <summary>The most bytes that were being fetched at once so far.</summary>
    public long PeakBytesInFlight => _budget.Peak;

    /// <summary>Bytes being fetched now.</summary>
    public long BytesInFlight => _budget.InUse;

    /// <inheritdoc />
    public string Describe(string key) => $"az://{Container}/{key}";

    /// <inheritdoc />
    public async Task CheckAccessAsync(CancellationToken cancellationToken)
    {
        bool exists;
        try
        {
            exists = await _requests.RunAsync(
                async ct => (await Call("", async () => await _container.ExistsAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Status is 401 or 403)
        {
            throw new IOException($"Access to the container 'az://{Container}' at {_container.Uri.GetLeftPart(UriPartial.Authority)} was refused ({e.Status} {(e.InnerException as RequestFailedException)?.ErrorCode}): check the connection string (AZURE_STORAGE_CONNECTION_STRING) or the SAS token.", e);
        }
        catch (StorageException e)
        {
            throw new IOException($"The container 'az://{Container}' at {_container.Uri.GetLeftPart(UriPartial.Authority)} cannot be reached: {e.Message}", e);
        }

        if (!exists)
        {
            throw new IOException($"The container 'az://{Container}' does not exist at {_container.Uri.GetLeftPart(UriPartial.Authority)}.");
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Page by page from its continuation token, so that a page that fails is asked for again on its own.
        string? continuation = null;
        do
        {
            string? from = continuation;
            Page<BlobItem>? page = await _requests.RunAsync(ct => Call(prefix, async () =>
            {
                IAsyncEnumerator<Page<BlobItem>> pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).AsPages(from).GetAsyncEnumerator(ct);
                await using (pages.ConfigureAwait(false))
                {
                    return await pages.MoveNextAsync().ConfigureAwait(false) ? pages.Current : null;
                }
            }, ct), cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                yield break;
            }

            foreach (BlobItem item in page.Values)
            {
                yield return new StoredObject(item.Name, item.Properties.ContentLength ?? 0);
            }

            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));
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
                try
                {
                    using Stream body = await OpenAsync(key, new HttpRange(offset, destination.Length), ct).ConfigureAwait(false);
                    return await body.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                }
                catch (StorageException e) when (e.Status == 416)
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
            return await _requests.RunAsync(async ct =>
            {
                try
                {
                    return await OpenAsync(key, new HttpRange(offset, count), ct).ConfigureAwait(false);
                }
                catch (StorageException e) when (e.Status == 416)
                {
                    return Stream.Null;
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        Task<Stream> From(long start, CancellationToken ct) => OpenAsync(key, new HttpRange(start), ct);
        Stream first;
        try
        {
            first = await _requests.RunAsync(ct => From(offset, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Status == 416)
        {
            // From past the object's end: nothing to read.
            return Stream.Null;
        }

        return new ResumingReadStream(_requests, From, first, offset);
    }


    /// <summary>Sends the download; its body is read through a <see cref="StoreReadStream"/> (every read bounded by <see cref="StorageOptions.ReadTimeout"/>).</summary>
    private async Task<Stream> OpenAsync(string key, HttpRange range, CancellationToken cancellationToken)
    {
        var options = new BlobDownloadOptions { Range = range };
        BlobDownloadStreamingResult result = await Call(key, async () =>
            (await _container.GetBlobClient(key).DownloadStreamingAsync(options, cancellationToken).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
        return new StoreReadStream(result.Content, result, Describe(key), _readTimeout);
    }

    /// <summary>Nothing to release: the SDK's HTTP pipeline is shared.</summary>
    public void Dispose()
    {
    }

    private static BlobClientOptions ClientOptions(StorageOptions options)
    {
        var client = new BlobClientOptions();
        // Retries are StoreRequests' (the same schedule as S3's), not the SDK's; with none, the SDK's download stream
        // does not retry a broken body itself either, so every break reaches the reader as a StorageException.
        client.Retry.MaxRetries = 0;
        client.Retry.NetworkTimeout = options.RequestTimeout;
        return client;
    }

    private async Task<T> Call<T>(string key, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && StoreRequests.IsTimeout(e))
        {
            // The HTTP pipeline's own timeout (RequestTimeout), not a cancellation of the run.
            throw new StorageException($"Reading '{Describe(key)}' from {_container.Uri.GetLeftPart(UriPartial.Authority)} got no answer within {_requestTimeout.TotalSeconds:0.###} s (StorageOptions.RequestTimeout)", 0, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Wrap(key, e);
        }
    }

    private Exception Wrap(string key, Exception e) => e switch
    {
        FileNotFoundException or StorageException => e,
        RequestFailedException { Status: 404 } r when r.ErrorCode == "ContainerNotFound" =>
            new StorageException($"The container 'az://{Container}' does not exist (reading '{Describe(key)}')", 404, e),
        RequestFailedException { Status: 404 } => new FileNotFoundException($"The object '{Describe(key)}' does not exist (404).", Describe(key), e),
        RequestFailedException r when r.Status != 0 =>
            new StorageException($"Reading '{Describe(key)}' failed with {r.Status} {r.ErrorCode}", r.Status, e),
        _ => new StorageException($"Reading '{Describe(key)}' from {_container.Uri.GetLeftPart(UriPartial.Authority)} failed: {e.Message}", 0, e),
    };
}
