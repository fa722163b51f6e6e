using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>What the object sources share: an exact read into a pooled buffer, and disposing the stores they opened.</summary>
internal static class ObjectReads
{
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
            int read = await store.ReadAsync(key, offset, buffer.Array.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
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
