namespace Dataflow.Pipeline.Batching;

/// <summary>
/// A transform that needs the whole batch (MixUp, CutMix): it runs on each assembled batch, after the in-batch shuffle
/// and before the batch is delivered, and changes the batch's tensor (<see cref="Batch.Data"/>) and its one-hot rows
/// (<see cref="Batch.OneHot"/>) in place.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe (one instance serves every batch) and draw all randomness from
/// <see cref="BatchAugmentationContext.Random"/>, so that a batch's result depends only on (seed, epoch, batch index)
/// and on its rows, never on the parallelism or on what ran before. <see cref="Batch.Labels"/> keeps each row's own
/// class; a transform that mixes rows says so in <see cref="Batch.OneHot"/>, whose rows stay probability vectors.
/// Parameters are validated in the constructor, so a bad value fails when the pipeline is built.
/// </remarks>
public interface IBatchAugmentation
{
    /// <summary>Transforms <paramref name="batch"/> in place.</summary>
    void Apply(Batch batch, BatchAugmentationContext context);
}
