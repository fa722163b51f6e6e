using System.Buffers;

namespace Dataflow.Pipeline.Memory;

/// <summary>A byte-array pool over <see cref="ArrayPool{T}.Shared"/> that counts what is rented and not yet returned.</summary>
/// <remarks>
/// Buffers above <see cref="MaxPooledLength"/> bypass the shared pool: such a buffer is allocated for its one
/// file and left to the garbage collector when returned, so an outlier (a 1 GB scan) is not kept by the process
/// after the run the way a pooled array would be.
/// </remarks>
public sealed class BufferPool
{
    /// <summary>The largest buffer, in bytes, taken from and returned to the shared pool: 16 MiB.</summary>
    public const int MaxPooledLength = 16 * 1024 * 1024;

    private long _outstanding;
    private long _peak;
    private long _rentals;
    private long _unpooled;
    private long _largest;

    /// <summary>Buffers rented and not yet returned.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>The most buffers outstanding at one time.</summary>
    public long Peak => Interlocked.Read(ref _peak);

    /// <summary>How many rentals there were in all.</summary>
    public long Rentals => Interlocked.Read(ref _rentals);

    /// <summary>Rentals above <see cref="MaxPooledLength"/>: allocated for the one file, never kept by a pool.</summary>
    public long Unpooled => Interlocked.Read(ref _unpooled);

    /// <summary>The largest length asked for, in bytes.</summary>
    public long LargestRental => Interlocked.Read(ref _largest);

    /// <summary>Rents a buffer of at least <paramref name="minimumLength"/> bytes, its <see cref="PooledBuffer.Length"/> set to that.</summary>
    public PooledBuffer Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        byte[] array;
        if (minimumLength > MaxPooledLength)
        {
            array = GC.AllocateUninitializedArray<byte>(minimumLength);
            Interlocked.Increment(ref _unpooled);
        }
        else
        {
            array = ArrayPool<byte>.Shared.Rent(Math.Max(1, minimumLength));
        }

        var buffer = new PooledBuffer(this, array) { Length = minimumLength };
        InterlockedMax(ref _largest, minimumLength);
        Interlocked.Increment(ref _rentals);
        long now = Interlocked.Increment(ref _outstanding);
        InterlockedMax(ref _peak, now);
        return buffer;
    }

    internal void Return(byte[] array)
    {
        if (array.Length <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        Interlocked.Decrement(ref _outstanding);
    }

    internal static void InterlockedMax(ref long target, long value)
    {
        long current = Interlocked.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
