using Microsoft.Win32.SafeHandles;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A forward-only stream over a range of a local file, read with positional reads on the caller's thread. Its
/// asynchronous reads complete at once: on Linux a <see cref="FileStream"/>'s asynchronous read of a file opened for
/// synchronous use is a synchronous read on another thread-pool thread, one hop per 64 KiB, which a shard's members
/// do not need (the read-ahead is the shard stream's, on its own task).
/// </summary>
internal sealed class LocalRangeStream : ForwardReadStream
{
    private readonly SafeFileHandle _handle;
    private readonly long _end;
    private long _position;

    /// <summary>Reads the bytes from <paramref name="offset"/> to <paramref name="end"/> through <paramref name="handle"/>, which stays its owner's (the store's).</summary>
    public LocalRangeStream(SafeFileHandle handle, long offset, long end)
    {
        _handle = handle;
        _position = offset;
        _end = end;
    }

    public override int Read(Span<byte> buffer)
    {
        int count = (int)Math.Min(buffer.Length, Math.Max(0, _end - _position));
        if (count == 0)
        {
            return 0;
        }

        int read = RandomAccess.Read(_handle, buffer[..count], _position);
        _position += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

}
