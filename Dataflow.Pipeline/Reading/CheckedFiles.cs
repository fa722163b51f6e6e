using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Reading;

/// <summary>
/// The samples of one discovered set whose file was a regular, non-empty file when first read in this run: later reads
/// of the same sample open it at once, without the status call that keeps a FIFO or device from being opened
/// (<see cref="FileReader.ReportsNoData"/>). One bit per sample; thread-safe.
/// </summary>
/// <remarks>
/// A sample is recognised by its position in the set and by reference, so a sample of another set (a second discovery
/// on the same source) is never taken for one checked here. What is given up: a file replaced by a FIFO after its first
/// read in the run would be opened, and the open would wait for a writer. A FIFO already there when first read is still
/// never opened.
/// </remarks>
internal sealed class CheckedFiles
{
    private readonly IReadOnlyList<SampleInfo> _samples;
    private readonly int[] _bits;

    public CheckedFiles(IReadOnlyList<SampleInfo> samples)
    {
        _samples = samples;
        _bits = new int[(samples.Count + 31) / 32];
    }

    /// <summary>True when <paramref name="sample"/> belongs to this set and was found a regular, non-empty file.</summary>
    public bool Contains(SampleInfo sample) =>
        Belongs(sample) && (Volatile.Read(ref _bits[sample.Index >> 5]) & (1 << (sample.Index & 31))) != 0;

    /// <summary>Records that <paramref name="sample"/>'s file was read and held data (ignored for a sample of another set).</summary>
    public void Add(SampleInfo sample)
    {
        if (Belongs(sample))
        {
            Interlocked.Or(ref _bits[sample.Index >> 5], 1 << (sample.Index & 31));
        }
    }

    private bool Belongs(SampleInfo sample) =>
        (uint)sample.Index < (uint)_samples.Count && ReferenceEquals(_samples[sample.Index], sample);
}
