namespace Dataflow.Pipeline.Memory;

/// <summary>
/// Bytes rented from a <see cref="BufferPool"/>. The holder owns the buffer until it disposes it;
/// after <see cref="Dispose"/> the array belongs to the pool again and must not be touched.
/// </summary>
public sealed class PooledBuffer : IDisposable
{
    private byte[]? _array;
    private readonly BufferPool _pool;

    internal PooledBuffer(BufferPool pool, byte[] array)
    {
        _pool = pool;
        _array = array;
    }

    /// <summary>The rented array; it may be longer than <see cref="Length"/>.</summary>
    /// <exception cref="ObjectDisposedException">The buffer went back to its pool.</exception>
    public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBuffer));

    /// <summary>How many bytes of <see cref="Array"/> hold data.</summary>
    public int Length { get; set; }

    /// <summary>The valid bytes.</summary>
    public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);

    /// <summary>The valid bytes as memory.</summary>
    public Memory<byte> Memory => Array.AsMemory(0, Length);

    /// <summary>Returns the array to the pool. Runs once; later calls do nothing.</summary>
    public void Dispose()
    {
        byte[]? array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            _pool.Return(array);
        }
    }
}
