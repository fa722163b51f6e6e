namespace Dataflow.Pipeline.Sources;

/// <summary>What the shard streams of one source did, summed over its epochs; read by <see cref="ShardSampleSource"/>'s properties.</summary>
internal sealed class ShardStreamCounters
{
    private long _requests;
    private long _peakSamples;
    private long _peakBytes;
    private long _streamed;
    private long _perSample;

    public long Requests => Interlocked.Read(ref _requests);

    public long PeakSamples => Interlocked.Read(ref _peakSamples);

    public long PeakBytes => Interlocked.Read(ref _peakBytes);

    public long StreamedEpochs => Interlocked.Read(ref _streamed);

    public long PerSampleEpochs => Interlocked.Read(ref _perSample);

    public void Opened() => Interlocked.Increment(ref _requests);

    public void Held(long samples, long bytes)
    {
        Memory.BufferPool.InterlockedMax(ref _peakSamples, samples);
        Memory.BufferPool.InterlockedMax(ref _peakBytes, bytes);
    }

    public void Epoch(bool streamed) => Interlocked.Increment(ref streamed ? ref _streamed : ref _perSample);
}
