using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Reading;

/// <summary>The asynchronous read of a source whose reads complete on the calling thread (<see cref="ISampleSource.ReadsOnCallingThread"/>).</summary>
internal static class SynchronousReads
{
    /// <summary>
    /// Runs <paramref name="read"/> of <paramref name="source"/> at once and returns it as a completed task: cancelled when
    /// <paramref name="cancellationToken"/> already is, faulted with what the read threw.
    /// </summary>
    public static ValueTask<PooledBuffer> ReadAsync<TSource>(TSource source, SampleInfo sample, BufferPool pool, CancellationToken cancellationToken,
        Func<TSource, SampleInfo, BufferPool, PooledBuffer> read)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PooledBuffer>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(read(source, sample, pool));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<PooledBuffer>(e);
        }
    }
}

