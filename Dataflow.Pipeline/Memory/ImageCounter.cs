using System.Collections.Concurrent;
using OpenCvSharp;

namespace Dataflow.Pipeline.Memory;

/// <summary>
/// Counts the OpenCV <c>Mat</c>s and in-flight samples a pipeline holds, so tests and the report can
/// show that native memory is returned on every path and that memory stays bounded.
/// </summary>
/// <remarks>
/// Each Mat a sample holds is listed with its sample, so that a Mat handed to a second sample while the first still
/// holds it (an augmentation that returns one Mat for several images) is refused instead of being disposed twice.
/// </remarks>
internal sealed class ImageCounter
{
    // A set of references keyed by the Mat: a dictionary of references to references runs on the runtime's
    // precompiled shared code.
    private readonly ConcurrentDictionary<Mat, ImageSample> _owners = new(ReferenceEqualityComparer.Instance);
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

    /// <summary>Lists <paramref name="image"/> as <paramref name="owner"/>'s; returns null, or the sample that already holds it (nothing changes then).</summary>
    internal ImageSample? TryAdopt(Mat image, ImageSample owner)
    {
        while (true)
        {
            if (_owners.TryAdd(image, owner))
            {
                BufferPool.InterlockedMax(ref _peakMats, Interlocked.Increment(ref _liveMats));
                return null;
            }

            if (_owners.TryGetValue(image, out ImageSample? holder))
            {
                return holder;
            }

            // The holder let it go in between; it disposed it first, which the caller checks once it holds it.
        }
    }

    /// <summary>
    /// Claims <paramref name="image"/> for <paramref name="owner"/> in one step with the check that no other sample holds
    /// it (a Mat already <paramref name="owner"/>'s stays so); then checks it was not disposed by its last holder before
    /// that one let it go. Returns null when <paramref name="owner"/> holds it now; else the refusal, with nothing claimed:
    /// <paramref name="holder"/> is the sample that holds it, or null when it was disposed.
    /// </summary>
    internal ClaimRefused? Claim(Mat image, ImageSample owner, out ImageSample? holder)
    {
        holder = TryAdopt(image, owner);
        if (holder is not null && !ReferenceEquals(holder, owner))
        {
            return ClaimRefused.HeldByAnother;
        }

        holder = null;
        if (image.IsDisposed)
        {
            Disown(image, owner);
            return ClaimRefused.Disposed;
        }

        return null;
    }

    /// <summary>Why <see cref="Claim"/> refused a Mat.</summary>
    internal enum ClaimRefused
    {
        /// <summary>Another sample of the run holds it.</summary>
        HeldByAnother,

        /// <summary>It was disposed.</summary>
        Disposed,
    }

    /// <summary>Takes <paramref name="image"/> off <paramref name="owner"/>'s list, after it was disposed.</summary>
    internal void Disown(Mat image, ImageSample owner)
    {
        if (_owners.TryRemove(new KeyValuePair<Mat, ImageSample>(image, owner)))
        {
            Interlocked.Decrement(ref _liveMats);
        }
    }

    /// <summary>The in-flight sample whose image <paramref name="image"/> is, or null.</summary>
    internal ImageSample? HolderOf(Mat image) => _owners.TryGetValue(image, out ImageSample? holder) ? holder : null;

    internal void SampleLoaded() => BufferPool.InterlockedMax(ref _peakSamples, Interlocked.Increment(ref _liveSamples));

    internal void SampleReleased() => Interlocked.Decrement(ref _liveSamples);
}
