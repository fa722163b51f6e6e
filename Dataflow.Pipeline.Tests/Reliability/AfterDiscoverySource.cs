using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// The folder source with a hook that runs once discovery has listed the files and before any is read:
/// the deterministic moment to delete, replace or lock a file that the run already counts on.
/// </summary>
internal sealed class AfterDiscoverySource(Action<SampleSet> afterDiscovery) : ISampleSource
{
    private readonly FolderSampleSource _inner = new();

    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        SampleSet set = await _inner.DiscoverAsync(roots, cancellationToken);
        afterDiscovery(set);
        return set;
    }

    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        _inner.ReadAsync(sample, pool, cancellationToken);
}
