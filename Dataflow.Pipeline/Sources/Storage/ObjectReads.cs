using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>What the object sources share: a read into memory, an exact read into a pooled buffer, and disposing the stores they opened.</summary>
internal static class ObjectReads
{
    /// <summary>Checks the range of an <see cref="IObjectStore.OpenReadAsync"/>; true when it is empty (a length of 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="length"/> is negative.</exception>
    public static bool IsEmptyRange(long offset, long? length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is long count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count, nameof(length));
        }

        return length == 0;
    }

    /// <summary>
    /// Reads up to <c>destination.Length</c> bytes of <paramref name="key"/> from <paramref name="offset"/> (one ranged
    /// read); returns how many were read, fewer only where the object ends. A remote store's read is retried as a whole
    /// (<see cref="IRangeReader"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    public static async ValueTask<int> ReadAsync(IObjectStore store, string key, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.Length == 0)
        {
            return 0;
        }

        if (store is IRangeReader remote)
        {
            return await remote.ReadRangeAsync(key, offset, destination, cancellationToken).ConfigureAwait(false);
        }

        // A local store's range completes at once: the whole read does, on the caller's thread.
        using Stream stream = await store.OpenReadAsync(key, offset, destination.Length, cancellationToken).ConfigureAwait(false);
        return await stream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes of <paramref name="key"/> from <paramref name="offset"/> into a buffer rented
    /// from <paramref name="pool"/>; fewer bytes throw <paramref name="shortRead"/>(bytes read). The buffer is returned on failure.
    /// </summary>
    public static async ValueTask<PooledBuffer> ReadExactAsync(IObjectStore store, string key, long offset, int length, BufferPool pool,
        Func<int, Exception> shortRead, CancellationToken cancellationToken)
    {
        PooledBuffer buffer = pool.Rent(length);
        try
        {
            int read = await ReadAsync(store, key, offset, buffer.Array.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            if (read != length)
            {
                throw shortRead(read);
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Disposes every store in <paramref name="stores"/> and empties it.</summary>
    public static void DisposeAll(List<IObjectStore> stores)
    {
        foreach (IObjectStore store in stores)
        {
            store.Dispose();
        }

        stores.Clear();
    }
}
