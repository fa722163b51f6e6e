using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// What a run needs that exists only once its dataset is discovered: the sample set, the batch assembler (sized by the
/// class count) and the decoded-image cache's store (sized by the sample count). Made once, after discovery and before
/// the first message; every message reaches it through its planned epoch, so no stage is patched after it is built.
/// </summary>
internal sealed class RunDataset : IDisposable
{
    private readonly DecodedImageStore? _cache;

    public RunDataset(SampleSet set, BatchAssembler assembler, DecodedImageStore? cache)
    {
        Set = set;
        Assembler = assembler;
        _cache = cache;
    }

    /// <summary>The discovered samples.</summary>
    public SampleSet Set { get; }

    /// <summary>Writes rows into pooled batch tensors and makes batches.</summary>
    public BatchAssembler Assembler { get; }

    /// <summary>The decoded-image cache's store; only asked for by a run whose graph plan has the cache.</summary>
    public DecodedImageStore Cache => _cache ?? throw new InvalidOperationException("This run has no decoded-image cache.");

    /// <summary>Returns the tensors of batches never assembled and closes the cache's store; after every block has stopped.</summary>
    public void Dispose()
    {
        Assembler.ReturnAll();
        _cache?.Dispose();
    }
}
