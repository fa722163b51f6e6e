using System.Buffers;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A response body from a store, read forward: every read is bounded by <see cref="StorageOptions.ReadTimeout"/>, and
/// whatever breaks it (a stall, a dropped connection, the SDK's own stream error) is a <see cref="StorageException"/>
/// with status 0 naming the object, whichever store it came from. Disposing it disposes the response.
/// </summary>
internal sealed class StoreReadStream(Stream inner, IDisposable owner, string where, TimeSpan readTimeout) : ForwardReadStream
{
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = ReadAsync(rented.AsMemory(0, buffer.Length), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(readTimeout);
        try
        {
            return await inner.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e) when (stall.IsCancellationRequested)
        {
            throw new StorageException($"Reading '{where}' stalled: no bytes arrived for {readTimeout.TotalSeconds:0.###} s (StorageOptions.ReadTimeout)", 0, e);
        }
        catch (Exception e) when (e is not StorageException)
        {
            throw new StorageException($"Reading '{where}' broke part-way: {e.Message}", 0, e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            owner.Dispose();
        }

        base.Dispose(disposing);
    }
}
