using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// The folder source, observed: it counts reads, and runs a hook once discovery has listed the files and
/// before any is read, the deterministic moment to delete, replace or lock a file the run already counts on.
/// </summary>
internal sealed class ObservedFolderSource(Action<SampleSet>? afterDiscovery = null) : ISampleSource
{
    private readonly FolderSampleSource _inner = new();
    private int _reads;

    /// <summary>Reads started so far.</summary>
    public int Reads => Volatile.Read(ref _reads);

    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        SampleSet set = await _inner.DiscoverAsync(roots, cancellationToken);
        afterDiscovery?.Invoke(set);
        return set;
    }

    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return _inner.ReadAsync(sample, pool, cancellationToken);
    }
}
