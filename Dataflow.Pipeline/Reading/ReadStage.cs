using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline.Reading;

/// <summary>
/// The read stage, the one place a sample's encoded bytes arrive: from its source into a pooled buffer, one sample at
/// a time, or, when the graph plan streams (<see cref="ReadMode.Streamed"/>), from the epoch's stream, which this stage
/// opens at the epoch's first sample and disposes after its last, or when the run ends (a fault or a cancellation).
/// A sample whose pixels the decoded-image cache holds is not read.
/// </summary>
internal sealed class ReadStage : IAsyncDisposable
{
    private readonly ISampleSource _source;
    private readonly bool _streamed;
    private readonly InFlightLedger _ledger;
    private readonly ImageCache? _cache;

    // The epoch being streamed, its stream (null when the source declined to stream that order: one read per sample),
    // and how many of its positions are still to be read. Only touched by the read block's single worker.
    private PlannedEpoch? _streamedEpoch;
    private ISampleReadStream? _stream;
    private int _streamLeft;

    public ReadStage(ISampleSource source, ReadMode mode, InFlightLedger ledger, ImageCache? cache = null)
    {
        _source = source;
        _streamed = mode == ReadMode.Streamed;
        _ledger = ledger;
        _cache = cache;
    }

    public async ValueTask ReadAsync(ImageSample sample, CancellationToken cancellationToken)
    {
        if (!NeedsSource(sample))
        {
            return;
        }

        if (_streamed)
        {
            await ReadStreamedAsync(sample, cancellationToken).ConfigureAwait(false);
            return;
        }

        PooledBuffer bytes = await _source.ReadAsync(sample.Info!, _ledger.Buffers, cancellationToken).ConfigureAwait(false);
        sample.SetBytes(bytes);
    }

    /// <summary>As <see cref="ReadAsync"/>, for a source that reads on the calling thread (the graph plan's <see cref="ReadMode.OnCallingThread"/>).</summary>
    public void Read(ImageSample sample)
    {
        if (NeedsSource(sample))
        {
            // The source declared that its reads complete at once (ISampleSource.ReadsOnCallingThread); one that does not is waited for.
            ValueTask<PooledBuffer> read = _source.ReadAsync(sample.Info!, _ledger.Buffers, CancellationToken.None);
            sample.SetBytes(read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult());
        }
    }

    /// <summary>Disposes the stream of an epoch the run did not finish.</summary>
    public async ValueTask DisposeAsync()
    {
        ISampleReadStream? stream = _stream;
        _stream = null;
        _streamedEpoch = null;
        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next position of the epoch's stream. Positions arrive in the planned order (one worker, messages in order),
    /// and every position of the plan reaches this stage, so the stream and the plan never drift apart.
    /// </summary>
    private async ValueTask ReadStreamedAsync(ImageSample sample, CancellationToken cancellationToken)
    {
        PlannedEpoch epoch = sample.Batch.Epoch;
        if (!ReferenceEquals(epoch, _streamedEpoch))
        {
            await DisposeAsync().ConfigureAwait(false);
            _stream = _source.OpenStream(epoch.Samples, _ledger.Buffers);
            _streamedEpoch = epoch;
            _streamLeft = epoch.Samples.Count;
        }

        try
        {
            sample.SetBytes(_stream is null
                ? await _source.ReadAsync(sample.Info!, _ledger.Buffers, cancellationToken).ConfigureAwait(false)
                : await _stream.ReadNextAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            if (--_streamLeft == 0)
            {
                await DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Tracks the sample, and says whether its bytes are still to be read from the source.</summary>
    private bool NeedsSource(ImageSample sample)
    {
        // Listed before the bytes exist: a cancellation that lands mid-read still finds the sample to release.
        _ledger.Track(sample);

        // Its pixels cached (the decode stage takes them from there).
        return _cache?.TryServe(sample) != true;
    }
}
