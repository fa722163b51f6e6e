using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// Where samples come from: discovers a dataset from the roots posted to the pipeline and opens each
/// sample's encoded bytes. <see cref="FolderSampleSource"/> is the built-in one; an archive, a network
/// store or a database is another implementation of this interface.
/// </summary>
public interface ISampleSource
{
    /// <summary>Discovers the classes and samples under <paramref name="roots"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">A root (or a requested class) does not exist.</exception>
    /// <exception cref="InvalidDataException">A root holds no classes, or a class holds no samples.</exception>
    Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken);

    /// <summary>Reads one sample's encoded bytes into a buffer rented from <paramref name="pool"/>; the caller owns the result.</summary>
    /// <exception cref="IOException">The bytes cannot be read; the message names the sample.</exception>
    ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <see cref="ReadAsync"/> does its work on the calling thread and returns a completed task (local files,
    /// memory). The pipeline then reads in a synchronous block, without a task per sample; a read that does not
    /// complete at once is waited for, blocking that worker. The default is false.
    /// </summary>
    bool ReadsOnCallingThread => false;

    /// <summary>
    /// Whether the source can read an epoch's samples as one ordered stream (<see cref="OpenStream"/>), fetching their
    /// bytes in larger sequential reads than one per sample (a tar shard in one GET). The default is false.
    /// </summary>
    bool CanStream => false;

    /// <summary>
    /// Starts reading <paramref name="samples"/> in their order, renting buffers from <paramref name="pool"/>; null
    /// when that order cannot be streamed within the source's memory bounds (the samples are then read one by one
    /// through <see cref="ReadAsync"/>). Called only when <see cref="CanStream"/> is true; the default returns null.
    /// </summary>
    /// <remarks>
    /// The pipeline's read stage calls it once per epoch with the samples of its plan (this process's part, in the
    /// planned order, a sample listed once per position that holds it), then takes their bytes one by one in that order,
    /// and disposes the stream after the epoch's last sample, or when the run faults or is cancelled. Which bytes arrive
    /// must be the same as through <see cref="ReadAsync"/>, so batches do not depend on which path read them.
    /// </remarks>
    ISampleReadStream? OpenStream(IReadOnlyList<SampleInfo> samples, BufferPool pool) => null;
}
