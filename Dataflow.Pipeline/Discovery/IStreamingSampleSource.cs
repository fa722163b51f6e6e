using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// A source that can also read an epoch's samples as one ordered stream, fetching their bytes in larger sequential
/// reads than one per sample (a tar shard in one GET). Optional: the pipeline uses it when the source implements it,
/// and falls back to <see cref="ISampleSource.ReadAsync"/> per sample when <see cref="OpenStream"/> returns null.
/// </summary>
/// <remarks>
/// The pipeline's read stage calls <see cref="OpenStream"/> once per epoch with the samples of its plan (this process's
/// part, in the planned order, a sample listed once per position that holds it), then takes their bytes one by one in
/// that order, and disposes the stream after the epoch's last sample, or when the run faults or is cancelled. Which bytes arrive is the same as
/// through <see cref="ISampleSource.ReadAsync"/>, so batches do not depend on which path read them.
/// </remarks>
public interface IStreamingSampleSource : ISampleSource
{
    /// <summary>
    /// Starts reading <paramref name="samples"/> in their order, renting buffers from <paramref name="pool"/>; null
    /// when that order cannot be streamed within the source's memory bounds (the samples are then read one by one).
    /// </summary>
    ISampleReadStream? OpenStream(IReadOnlyList<SampleInfo> samples, BufferPool pool);
}
