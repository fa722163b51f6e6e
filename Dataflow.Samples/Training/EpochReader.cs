using Dataflow.Pipeline.Batching;

namespace Dataflow.Samples.Training;

/// <summary>
/// Reads a streamed pipeline one epoch at a time: <see cref="ScoreEpochAsync"/> consumes the batches of
/// one epoch, up to the one marked <see cref="Batch.IsLastInEpoch"/> (or, when that batch was not delivered,
/// up to the first batch of the next epoch, which it keeps for the following call).
/// </summary>
internal sealed class EpochReader : IAsyncDisposable
{
    private readonly IAsyncEnumerator<Batch> _batches;
    private Batch? _pending;
    private bool _finished;

    public EpochReader(IAsyncEnumerable<Batch> batches, CancellationToken cancellationToken)
    {
        _batches = batches.GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Scores every batch of <paramref name="epoch"/> (from 0) with <paramref name="model"/>.</summary>
    public async Task<Score> ScoreEpochAsync(int epoch, MlpClassifier model)
    {
        var score = default(Score);
        while (true)
        {
            Batch? batch = _pending;
            _pending = null;
            if (batch is null)
            {
                if (_finished || !await _batches.MoveNextAsync().ConfigureAwait(false))
                {
                    _finished = true;
                    return score;
                }

                batch = _batches.Current;
            }

            if (batch.Epoch != epoch)
            {
                _pending = batch;
                return score;
            }

            using (batch)
            {
                score += model.Evaluate(batch.Data, batch.Labels);
                if (batch.IsLastInEpoch)
                {
                    return score;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending?.Dispose();
        _pending = null;
        await _batches.DisposeAsync().ConfigureAwait(false);
    }
}
