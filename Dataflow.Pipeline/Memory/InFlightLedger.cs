using System.Collections.Concurrent;
using Dataflow.Pipeline.Batching;

namespace Dataflow.Pipeline.Memory;

/// <summary>
/// Who owns what while a run is going: the samples carrying bytes or pixels, and the batches assembled but not
/// yet handed over. Blocks drop buffered messages on cancellation without disposing them, so whatever is still
/// listed here when the run ends is returned by <see cref="ReleaseAll"/>.
/// </summary>
/// <remarks>
/// Handing a batch over and reclaiming it both remove it from the ledger atomically: exactly one of them wins,
/// so a batch is either given to the consumer or disposed by the clean-up, never both.
/// </remarks>
internal sealed class InFlightLedger
{
    // Sets of references (each value is its key): a dictionary of references to references runs on the runtime's
    // precompiled shared code, where a byte value would be compiled at start-up.
    private readonly ConcurrentDictionary<ImageSample, ImageSample> _samples = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<Batch, Batch> _batches = new(ReferenceEqualityComparer.Instance);

    public InFlightLedger(ImageCounter images, BufferPool buffers, TensorPool tensors)
    {
        Images = images;
        Buffers = buffers;
        Tensors = tensors;
    }

    /// <summary>Mats and samples with image data: counted where they are created and released.</summary>
    public ImageCounter Images { get; }

    /// <summary>The pool the read stage rents encoded bytes from.</summary>
    public BufferPool Buffers { get; }

    /// <summary>The pool batch tensors come from.</summary>
    public TensorPool Tensors { get; }

    /// <summary>The sample is about to carry data: it is released at the end of the run if nobody else does.</summary>
    public void Track(ImageSample sample) => _samples.TryAdd(sample, sample);

    /// <summary>Frees the sample's data and forgets it.</summary>
    public void Release(ImageSample sample)
    {
        sample.Release();
        _samples.TryRemove(sample, out _);
    }

    /// <summary>The sample's data has moved on (into a batch tensor) or was freed: forget it.</summary>
    public void Forget(ImageSample sample) => _samples.TryRemove(sample, out _);

    /// <summary>A batch exists and is the pipeline's until handed over.</summary>
    public void Assembled(Batch batch) => _batches.TryAdd(batch, batch);

    /// <summary>Takes a batch out of the pipeline's hands; false when the clean-up has already reclaimed (disposed) it.</summary>
    public bool TryHandOver(Batch batch) => _batches.TryRemove(batch, out _);

    /// <summary>Disposes a batch that is still the pipeline's; does nothing once it was handed over.</summary>
    public void Reclaim(Batch batch)
    {
        if (_batches.TryRemove(batch, out _))
        {
            batch.Dispose();
        }
    }

    /// <summary>Returns every sample's data and every batch still listed (after the blocks have stopped).</summary>
    public void ReleaseAll()
    {
        foreach (ImageSample sample in _samples.Keys)
        {
            Release(sample);
        }

        foreach (Batch batch in _batches.Keys)
        {
            Reclaim(batch);
        }
    }
}
