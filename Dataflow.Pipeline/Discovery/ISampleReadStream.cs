using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// The bytes of an ordered list of samples, one at a time (<see cref="ISampleSource.OpenStream"/>). Reading
/// ahead happens inside, within the source's bounds; disposing returns every buffer it still holds.
/// </summary>
public interface ISampleReadStream : IAsyncDisposable
{
    /// <summary>The next sample's bytes; the caller owns the buffer.</summary>
    /// <remarks>
    /// A sample whose bytes cannot be read throws here (an <see cref="IOException"/> or
    /// <see cref="InvalidDataException"/> naming the sample or its container, such as the shard and the HTTP status);
    /// the next call goes on with the sample after it. Calls must not overlap.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Every sample of the list was already returned.</exception>
    ValueTask<PooledBuffer> ReadNextAsync(CancellationToken cancellationToken);
}
