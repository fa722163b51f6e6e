using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>
/// A real source with a fault injected into the real server at a chosen moment: after discovery, or before the n-th
/// read (an object deleted, the server killed). The source itself is unchanged; a streaming source still streams,
/// its stream's reads counted as reads.
/// </summary>
internal sealed class FaultingSource(ISampleSource inner, Func<Task>? afterDiscovery = null, int beforeRead = -1, Func<Task>? atRead = null) : ISampleSource
{
    private int _reads;

    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        SampleSet set = await inner.DiscoverAsync(roots, cancellationToken);
        if (afterDiscovery is not null)
        {
            await afterDiscovery();
        }

        return set;
    }

    public async ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        await BeforeReadAsync();
        return await inner.ReadAsync(sample, pool, cancellationToken);
    }

    public bool CanStream => true;

    public ISampleReadStream? OpenStream(IReadOnlyList<SampleInfo> samples, BufferPool pool) =>
        inner.CanStream && inner.OpenStream(samples, pool) is { } stream ? new Stream(this, stream) : null;

    private async Task BeforeReadAsync()
    {
        if (Interlocked.Increment(ref _reads) == beforeRead && atRead is not null)
        {
            await atRead();
        }
    }

    private sealed class Stream(FaultingSource source, ISampleReadStream inner) : ISampleReadStream
    {
        public async ValueTask<PooledBuffer> ReadNextAsync(CancellationToken cancellationToken)
        {
            await source.BeforeReadAsync();
            return await inner.ReadNextAsync(cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
