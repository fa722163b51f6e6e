using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline.Batching;

/// <summary>What a batch-level augmentation knows about the batch it transforms: its key and its own generator.</summary>
public sealed class BatchAugmentationContext
{
    /// <summary>Creates a context whose generator is keyed by (<paramref name="seed"/>, <paramref name="epoch"/>, <paramref name="batchIndex"/>).</summary>
    /// <param name="seed">The pipeline's seed.</param>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="batchIndex">The batch's index within its epoch, from 0.</param>
    public BatchAugmentationContext(long seed, int epoch, int batchIndex)
    {
        Seed = seed;
        Epoch = epoch;
        BatchIndex = batchIndex;
        Random = new SampleRandom(seed, RandomStreams.BatchAugmentation, epoch, batchIndex);
    }

    /// <summary>The pipeline's seed.</summary>
    public long Seed { get; }

    /// <summary>The epoch, from 0.</summary>
    public int Epoch { get; }

    /// <summary>The batch's index within its epoch, from 0.</summary>
    public int BatchIndex { get; }

    /// <summary>This batch's own generator, on a stream of its own: the only source of randomness a batch augmentation may use.</summary>
    public SampleRandom Random { get; }

    /// <inheritdoc />
    public override string ToString() => $"augmentation of batch {BatchIndex}, epoch {Epoch}, seed {Seed}";
}
