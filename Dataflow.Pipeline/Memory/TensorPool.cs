using System.Collections.Concurrent;

namespace Dataflow.Pipeline.Memory;

/// <summary>
/// A pool of pinned float and byte arrays for batch tensors. Arrays live on the pinned object heap, so native
/// code (OpenCV) can write into them through a raw pointer without them moving.
/// </summary>
public sealed class TensorPool
{
    private readonly ConcurrentDictionary<int, ConcurrentBag<float[]>> _free = new();
    private readonly ConcurrentDictionary<int, ConcurrentBag<byte[]>> _freeBytes = new();
    private long _outstanding;
    private long _peak;
    private long _allocated;

    /// <summary>Tensors (float or byte) rented and not yet returned.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>The most tensors outstanding at one time.</summary>
    public long Peak => Interlocked.Read(ref _peak);

    /// <summary>How many arrays the pool ever allocated (a steady state stops allocating).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Rents a pinned array of exactly <paramref name="length"/> floats; its content is undefined.</summary>
    internal float[] Rent(int length) => Rent(_free, length);

    /// <summary>Gives an array back.</summary>
    internal void Return(float[] array) => Return(_free, array);

    /// <summary>Rents a pinned array of exactly <paramref name="length"/> bytes (a <see cref="Normalization.TensorElementType.UInt8"/> batch); its content is undefined.</summary>
    internal byte[] RentBytes(int length) => Rent(_freeBytes, length);

    /// <summary>Gives a byte array back.</summary>
    internal void ReturnBytes(byte[] array) => Return(_freeBytes, array);

    private T[] Rent<T>(ConcurrentDictionary<int, ConcurrentBag<T[]>> free, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        long now = Interlocked.Increment(ref _outstanding);
        BufferPool.InterlockedMax(ref _peak, now);
        if (free.TryGetValue(length, out var bag) && bag.TryTake(out T[]? array))
        {
            return array;
        }

        Interlocked.Increment(ref _allocated);
        return GC.AllocateUninitializedArray<T>(length, pinned: true);
    }

    private void Return<T>(ConcurrentDictionary<int, ConcurrentBag<T[]>> free, T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        free.GetOrAdd(array.Length, static _ => new ConcurrentBag<T[]>()).Add(array);
        Interlocked.Decrement(ref _outstanding);
    }
}
