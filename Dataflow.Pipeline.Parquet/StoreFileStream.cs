namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A read-only, seekable view of one object for a reader that reads synchronously (Apache Arrow's Parquet reader):
/// the file's tail (its footer, read once at discovery) is served from memory, every other read is one ranged read of
/// the store (Arrow reads a column chunk with one call, so a row group's image column is one request).
/// </summary>
internal sealed class StoreFileStream : Stream
{
    private readonly IObjectStore _store;
    private readonly string _key;
    private readonly long _length;
    private readonly byte[] _tail;
    private long _position;

    public StoreFileStream(IObjectStore store, string key, long length, byte[] tail)
    {
        _store = store;
        _key = key;
        _length = length;
        _tail = tail;
    }

    /// <summary>Bytes read from the store (not from the tail).</summary>
    public long StoreBytes { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsMemory(offset, count));

    public override int Read(Span<byte> buffer)
    {
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = Read(rented.AsMemory(0, buffer.Length));
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private int Read(Memory<byte> buffer)
    {
        int count = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (count == 0)
        {
            return 0;
        }

        long tailStart = _length - _tail.Length;
        if (_position >= tailStart)
        {
            _tail.AsSpan((int)(_position - tailStart), count).CopyTo(buffer.Span);
            _position += count;
            return count;
        }

        int done = 0;
        while (done < count)
        {
            // The reader's callback is synchronous; a local store's positional read completes at once.
            ValueTask<int> pending = ObjectReads.ReadAsync(_store, _key, _position + done, buffer[done..count], CancellationToken.None);
            int read = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            if (read == 0)
            {
                break;
            }

            done += read;
        }

        _position += done;
        StoreBytes += done;
        return done;
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
