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
    private readonly ISynchronousRead? _synchronous;
    private readonly InFlightLedger _ledger;
    private readonly ImageCache? _cache;

    public ReadStage(ISampleSource source, InFlightLedger ledger, ImageCache? cache = null)
    {
        _source = source;
        _synchronous = source as ISynchronousRead;
        _ledger = ledger;
        _cache = cache;
    }

    public async ValueTask ReadAsync(ImageSample sample, CancellationToken cancellationToken)
    {
        if (!NeedsSource(sample))
        {
            return;
        }

        PooledBuffer bytes = await _source.ReadAsync(sample.Info!, _ledger.Buffers, cancellationToken).ConfigureAwait(false);
        sample.SetBytes(bytes);
    }

    /// <summary>As <see cref="ReadAsync"/>, for a source that reads on the calling thread (the graph plan's <see cref="Graph.ReadMode.OnCallingThread"/>).</summary>
    public void Read(ImageSample sample)
    {
        if (NeedsSource(sample))
        {
            sample.SetBytes(_synchronous!.Read(sample.Info!, _ledger.Buffers));
        }
    }

    /// <summary>Tracks the sample, and says whether its bytes are still to be read from the source.</summary>
    private bool NeedsSource(ImageSample sample)
    {
        // Listed before the bytes exist: a cancellation that lands mid-read still finds the sample to release.
        _ledger.Track(sample);
        if (sample.StreamedReadFault is Exception fault)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
        }

        // Streamed ahead by the producer, or its pixels cached (the decode stage takes them from there).
        return sample.Bytes is null && _cache?.TryServe(sample) != true;
    }
}
