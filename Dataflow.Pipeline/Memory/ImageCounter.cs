namespace Dataflow.Pipeline.Memory;

/// <summary>
/// Counts the OpenCV <c>Mat</c>s and in-flight samples a pipeline holds, so tests and the report can
/// show that native memory is returned on every path and that memory stays bounded.
/// </summary>
public sealed class ImageCounter
{
    private long _liveMats;
    private long _peakMats;
    private long _liveSamples;
    private long _peakSamples;

    /// <summary>Mats created by the pipeline and not yet disposed.</summary>
    public long LiveMats => Interlocked.Read(ref _liveMats);

    /// <summary>The most Mats alive at one time.</summary>
    public long PeakMats => Interlocked.Read(ref _peakMats);

    /// <summary>Samples carrying image data (bytes or pixels) between read and normalize.</summary>
    public long LiveSamples => Interlocked.Read(ref _liveSamples);

    /// <summary>The most samples carrying image data at one time.</summary>
    public long PeakSamples => Interlocked.Read(ref _peakSamples);

    internal void MatCreated() => BufferPool.InterlockedMax(ref _peakMats, Interlocked.Increment(ref _liveMats));

    internal void MatDisposed() => Interlocked.Decrement(ref _liveMats);

    internal void SampleLoaded() => BufferPool.InterlockedMax(ref _peakSamples, Interlocked.Increment(ref _liveSamples));

    internal void SampleReleased() => Interlocked.Decrement(ref _liveSamples);
}
