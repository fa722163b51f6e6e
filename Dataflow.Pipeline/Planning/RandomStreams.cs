namespace Dataflow.Pipeline.Planning;

/// <summary>
/// Every random stream of the library, in one place. A generator is keyed by (seed, stream, a, b), so two
/// uses of the same seed never draw the same numbers as long as their stream ids differ. The values are part
/// of the reproducibility contract: changing one changes every batch made with it.
/// </summary>
internal static class RandomStreams
{
    /// <summary>The permutation of an epoch's order: (seed, EpochOrder, epoch).</summary>
    public const long EpochOrder = 0x0DE7;

    /// <summary>The shuffle of the rows within a batch: (seed, BatchRows, epoch, batch).</summary>
    public const long BatchRows = 0xBA7C;

    /// <summary>The stratified validation split: (seed, ValidationSplit, class).</summary>
    public const long ValidationSplit = 0x5EED_5917;

    /// <summary>A sample's augmentations after decode: (seed, Augmentation, epoch, sample index).</summary>
    public const long Augmentation = 0xA06;

    /// <summary>A source crop fused with the decoder's resize: (seed, SourceCrop, epoch, sample index).</summary>
    public const long SourceCrop = 0xC80;

    /// <summary>The order of the shards in an epoch: (seed, ShardOrder, epoch).</summary>
    public const long ShardOrder = 0x5A4D;

    /// <summary>The draws from the shuffle buffer of a shard stream: (seed, ShuffleBuffer, epoch).</summary>
    public const long ShuffleBuffer = 0xB0FF;

    /// <summary>The write-time shuffle of the samples packed into shards: (seed, PackShuffle).</summary>
    public const long PackShuffle = 0x9AC4;

    /// <summary>A batch's batch-level augmentations (MixUp, CutMix): (seed, BatchAugmentation, epoch, batch index).</summary>
    public const long BatchAugmentation = 0xB7A6;
}
