using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Reading;

/// <summary>
/// The read stage: a sample's encoded bytes from its source into a pooled buffer. A sample whose bytes the producer
/// took from the epoch's stream (<see cref="IStreamingSampleSource"/>) arrives with them, or with the reason they could
/// not be read, which is thrown here so that the error policy treats it as any failed read.
/// </summary>
internal sealed class ReadStage
{
    private readonly ISampleSource _source;
    private readonly InFlightLedger _ledger;
    private readonly ImageCache? _cache;

    public ReadStage(ISampleSource source, InFlightLedger ledger, ImageCache? cache = null)
    {
        _source = source;
        _ledger = ledger;
        _cache = cache;
    }

    public async ValueTask ReadAsync(ImageSample sample, CancellationToken cancellationToken)
    {
        // Listed before the bytes exist: a cancellation that lands mid-read still finds the sample to release.
        _ledger.Track(sample);
        if (sample.StreamedReadFault is Exception fault)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
        }

        if (sample.Bytes is not null)
        {
            return; // Streamed ahead by the producer.
        }

        if (_cache?.TryServe(sample) == true)
        {
            return; // Its pixels are cached: the decode stage takes them from there, with no bytes to read.
        }

        PooledBuffer bytes = await _source.ReadAsync(sample.Info!, _ledger.Buffers, cancellationToken).ConfigureAwait(false);
        sample.SetBytes(bytes);
    }
}
