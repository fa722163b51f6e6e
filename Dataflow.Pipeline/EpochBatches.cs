using System.Runtime.CompilerServices;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline;

/// <summary>The batches of one epoch, read with <c>await foreach</c> (from <see cref="ImageLoader"/>).</summary>
/// <remarks>
/// Each batch is valid until the loop moves to the next one, or leaves: it is disposed then (copy out what is kept
/// longer). An epoch is read once: a second enumeration, or one of an epoch that <see cref="ImageLoader.ReadEpochsAsync"/>
/// has moved past, throws <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed class EpochBatches : IAsyncEnumerable<Batch>
{
    private readonly ImageLoader? _loader;
    private readonly EpochCursor? _cursor;
    private readonly CancellationToken _cancellationToken;
    private ImagePipeline? _pipeline;
    private int _read;
    private volatile bool _closed;

    /// <summary>An epoch of a pipeline that streams several (<see cref="ImageLoader.ReadEpochsAsync"/>).</summary>
    internal EpochBatches(int number, ImagePipeline pipeline, EpochCursor cursor)
    {
        Number = number;
        _pipeline = pipeline;
        _cursor = cursor;
    }

    /// <summary>An epoch read from a pipeline of its own, built when the enumeration starts (<see cref="ImageLoader.ReadEpochAsync"/>).</summary>
    internal EpochBatches(int number, ImageLoader loader, CancellationToken cancellationToken)
    {
        Number = number;
        _loader = loader;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The epoch, from 0 (every batch's <see cref="Batch.Epoch"/>).</summary>
    public int Number { get; }

    /// <summary>
    /// The report of the pipeline that streams this epoch: its counts so far (discovered, batched, skipped with path and
    /// reason); null until the enumeration of an epoch read alone has started.
    /// </summary>
    public PipelineReport? Report => _pipeline?.Report;

    /// <summary>Returns an enumerator over the epoch's batches.</summary>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="InvalidOperationException">The epoch has already been read, or the loop over epochs has moved past it.</exception>
    public IAsyncEnumerator<Batch> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            throw new InvalidOperationException(
                $"Epoch {Number} has ended: the loop over ReadEpochsAsync moved to the next epoch. Read an epoch's batches inside the loop over epochs, or one epoch with ReadEpochAsync({Number}).");
        }

        if (Interlocked.Exchange(ref _read, 1) != 0)
        {
            throw new InvalidOperationException(
                $"The batches of epoch {Number} have already been read: an epoch is read once. Take the next epoch from ReadEpochsAsync, or this one again with ReadEpochAsync({Number}).");
        }

        return (_cursor is not null ? ReadSharedAsync(_cursor, cancellationToken) : ReadAloneAsync(cancellationToken)).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Marks the epoch ended: the loop over epochs has moved on.</summary>
    internal void Close() => _closed = true;

    private async IAsyncEnumerable<Batch> ReadSharedAsync(EpochCursor cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (Batch batch in cursor.ReadEpochAsync(Number, cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    private async IAsyncEnumerable<Batch> ReadAloneAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, cancellationToken);
        ImagePipeline pipeline = _loader!.Start(_loader.Options with { FirstEpoch = Number, Epochs = Number + 1 }, linked.Token);
        _pipeline = pipeline;
        await using (pipeline.ConfigureAwait(false))
        {
            var cursor = new EpochCursor(pipeline);
            await using (cursor.ConfigureAwait(false))
            {
                await foreach (Batch batch in cursor.ReadEpochAsync(Number, linked.Token).ConfigureAwait(false))
                {
                    yield return batch;
                }

                // The run's outcome: a fault (the failure budget, a fail-fast sample) is thrown here, after the last batch.
                await cursor.EndAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"epoch {Number}";
}
