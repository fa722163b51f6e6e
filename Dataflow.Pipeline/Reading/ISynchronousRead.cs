using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Reading;

/// <summary>
/// A source whose reads complete on the calling thread (local files): the read stage then runs as a synchronous
/// block, without a task and an asynchronous state machine per sample.
/// </summary>
internal interface ISynchronousRead
{
    /// <summary>Reads one sample's encoded bytes into a buffer rented from <paramref name="pool"/>; the caller owns the result.</summary>
    PooledBuffer Read(SampleInfo sample, BufferPool pool);
}
