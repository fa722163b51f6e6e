using System.Runtime.CompilerServices;
using Dataflow.Pipeline.Batching;

namespace Dataflow.Pipeline.Internal;

/// <summary>
/// Reads a streaming pipeline's batches one epoch at a time: an epoch ends after the batch marked
/// <see cref="Batch.IsLastInEpoch"/>, or (when that batch was not delivered: all its samples failed) before the first batch
/// of a later epoch, which is kept for the next read.
/// </summary>
internal sealed class EpochCursor : IAsyncDisposable
{
    private readonly ImagePipeline _pipeline;
    private readonly IAsyncEnumerator<Batch> _batches;
    private Batch? _pending;
    private bool _finished;

    public EpochCursor(ImagePipeline pipeline)
    {
        _pipeline = pipeline;
        _batches = pipeline.ReadAllAsync().GetAsyncEnumerator();
    }

    /// <summary>The batches of <paramref name="epoch"/> not read yet; each is disposed when the consumer moves past it.</summary>
    public async IAsyncEnumerable<Batch> ReadEpochAsync(int epoch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The consumer's token stops the run itself: the stream then ends with the run's cancellation.
        using CancellationTokenRegistration registration = cancellationToken.Register(static p => ((ImagePipeline)p!).Cancel(), _pipeline);
        while (await NextAsync().ConfigureAwait(false) is Batch batch)
        {
            if (batch.Epoch > epoch)
            {
                _pending = batch;
                yield break;
            }

            try
            {
                yield return batch;
            }
            finally
            {
                batch.Dispose();
            }

            if (batch.IsLastInEpoch)
            {
                yield break;
            }
        }
    }

    /// <summary>Reads and disposes what the consumer left of <paramref name="epoch"/>.</summary>
    public async ValueTask SkipEpochAsync(int epoch)
    {
        await foreach (Batch _ in ReadEpochAsync(epoch, CancellationToken.None).ConfigureAwait(false))
        {
        }
    }

    /// <summary>Reads the stream to its end, which awaits the run's outcome (and throws its fault).</summary>
    public async ValueTask EndAsync()
    {
        while (await NextAsync().ConfigureAwait(false) is Batch batch)
        {
            batch.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending?.Dispose();
        _pending = null;
        await _batches.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<Batch?> NextAsync()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            return pending;
        }

        if (_finished || !await _batches.MoveNextAsync().ConfigureAwait(false))
        {
            _finished = true;
            return null;
        }

        return _batches.Current;
    }
}
