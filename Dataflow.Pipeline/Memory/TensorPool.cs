using System.Collections.Concurrent;

namespace Dataflow.Pipeline.Memory;

/// <summary>
/// A pool of pinned float and byte arrays for batch tensors. Arrays live on the pinned object heap, so native
/// code (OpenCV) can write into them through a raw pointer without them moving.
/// </summary>
internal sealed class TensorPool
{
    // Free arrays by length: a run uses one or two lengths, so a short list searched under a lock (a dictionary keyed
    // by int would be compiled at start-up, where a list of references runs precompiled code).
    private readonly List<Shelf<float>> _free = [];
    private readonly List<Shelf<byte>> _freeBytes = [];
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

    private T[] Rent<T>(List<Shelf<T>> free, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        long now = Interlocked.Increment(ref _outstanding);
        BufferPool.InterlockedMax(ref _peak, now);
        if (ShelfFor(free, length, create: false)?.Arrays.TryTake(out T[]? array) == true)
        {
            return array;
        }

        Interlocked.Increment(ref _allocated);
        return GC.AllocateUninitializedArray<T>(length, pinned: true);
    }

    private void Return<T>(List<Shelf<T>> free, T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        ShelfFor(free, array.Length, create: true)!.Arrays.Add(array);
        Interlocked.Decrement(ref _outstanding);
    }

    private static Shelf<T>? ShelfFor<T>(List<Shelf<T>> free, int length, bool create)
    {
        lock (free)
        {
            foreach (Shelf<T> shelf in free)
            {
                if (shelf.Length == length)
                {
                    return shelf;
                }
            }

            if (!create)
            {
                return null;
            }

            var added = new Shelf<T>(length);
            free.Add(added);
            return added;
        }
    }

    /// <summary>The free arrays of one length.</summary>
    private sealed class Shelf<T>(int length)
    {
        public int Length { get; } = length;

        public ConcurrentBag<T[]> Arrays { get; } = [];
    }
}
