using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// A source over encoded images held in memory (for tests, or data fetched by other means).
/// The roots posted to the pipeline are ignored: the samples are the ones given here. The bytes are copied on the
/// read block's own worker, with no task per sample, as the folder source reads its files.
/// </summary>
public sealed class InMemorySampleSource : ISampleSource
{
    private readonly SampleSet _set;

    /// <summary>Creates a source from (id, label, encoded bytes) triples, labels indexing <paramref name="classNames"/>.</summary>
    public InMemorySampleSource(IReadOnlyList<string> classNames, IEnumerable<(string Id, int Label, byte[] Bytes)> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var list = samples.Select((s, i) => new SampleInfo(i, s.Id, s.Label) { State = s.Bytes }).ToList();
        _set = new SampleSet(classNames, list);
    }

    /// <summary>
    /// Creates a source over a set made by the caller (with targets and their <see cref="SampleSet.TargetSchema"/>, say): each
    /// sample's <see cref="SampleInfo.State"/> holds its encoded bytes, a <c>byte[]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A sample's state is not a byte array; the message names the sample.</exception>
    public InMemorySampleSource(SampleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        foreach (SampleInfo sample in set.Samples)
        {
            if (sample.State is not byte[])
            {
                throw new ArgumentException($"Sample {sample} has no encoded bytes: its State must be a byte[].", nameof(set));
            }
        }

        _set = set;
    }

    /// <inheritdoc />
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken) => Task.FromResult(_set);

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Read(sample, pool));

    private static PooledBuffer Read(SampleInfo sample, BufferPool pool)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var bytes = (byte[])sample.State!;
        PooledBuffer buffer = pool.Rent(bytes.Length);
        bytes.CopyTo(buffer.Array, 0);
        return buffer;
    }
}
