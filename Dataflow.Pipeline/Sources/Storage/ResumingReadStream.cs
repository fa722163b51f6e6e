namespace Dataflow.Pipeline.Sources;

/// <summary>
/// An object's bytes from an offset to its end, read forward, that survives a body that breaks or stalls: the read
/// that failed is tried again on the store's schedule (<see cref="StoreRequests"/>) with a new request from the byte
/// it stopped at. What still fails is what the schedule throws (a <see cref="StoreUnavailableException"/> naming the
/// store, or the error of a request that was refused).
/// </summary>
internal sealed class ResumingReadStream : ForwardReadStream
{
    private readonly StoreRequests _requests;
    private readonly Func<long, CancellationToken, Task<Stream>> _open;
    private Stream? _body;
    private long _position;

    /// <param name="requests">The store's schedule.</param>
    /// <param name="open">One try at a request for the bytes from an offset to the end (a <see cref="StoreReadStream"/>).</param>
    /// <param name="first">The first request's body, already open at <paramref name="offset"/>.</param>
    /// <param name="offset">Where <paramref name="first"/> starts.</param>
    public ResumingReadStream(StoreRequests requests, Func<long, CancellationToken, Task<Stream>> open, Stream first, long offset)
    {
        _requests = requests;
        _open = open;
        _body = first;
        _position = offset;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        return await _requests.RunAsync(async token =>
        {
            _body ??= await _open(_position, token).ConfigureAwait(false);
            try
            {
                int read = await _body.ReadAsync(buffer, token).ConfigureAwait(false);
                _position += read;
                return read;
            }
            catch (StorageException)
            {
                // The next try asks again from here.
                await _body.DisposeAsync().ConfigureAwait(false);
                _body = null;
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body?.Dispose();
            _body = null;
        }

        base.Dispose(disposing);
    }
}
