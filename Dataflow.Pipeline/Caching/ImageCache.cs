using System.IO.Hashing;
using System.Text;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Caching;

/// <summary>
/// The decoded-image cache's part in the read and decode stages. A sample whose pixels are cached is not read
/// (<see cref="TryServe"/> copies its pixels into a new Mat instead) and is not decoded. Any other
/// is decoded at the cache size, stored, and goes on. From the cache size to the target there is a step only when
/// they differ or a source crop leads the augmentations: the crop's region of the cached image, or the whole of it,
/// resized to the target with the pipeline's interpolation. A hit and a miss thus give the same pixels.
/// </summary>
internal sealed class ImageCache
{
    private readonly DecodedImageCacheOptions _options;
    private readonly ImageDecoder _decoder;
    private readonly ISourceCropAugmentation? _crop;
    private readonly long _seed;
    private readonly ColorMode _pixelOrder;
    private readonly Size _target;
    private readonly Interpolation _interpolation;

    /// <param name="options">The cache's options.</param>
    /// <param name="decoder">The decoder at the cache size (the pipeline's own when the cache is at the target size).</param>
    /// <param name="sourceCrop">A leading source crop: applied to the cached image instead of the full-size one.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="pixelOrder">The channel order the augmentations see.</param>
    /// <param name="target">The pipeline's target size.</param>
    public ImageCache(DecodedImageCacheOptions options, ImageDecoder decoder, ISourceCropAugmentation? sourceCrop, long seed, ColorMode pixelOrder, Size target)
    {
        _options = options;
        _decoder = decoder;
        _crop = sourceCrop;
        _seed = seed;
        _pixelOrder = pixelOrder;
        _target = target;
        _interpolation = decoder.Interpolation;
    }

    /// <summary>The cache a run with <paramref name="options"/> uses, or null when <see cref="PipelineOptions.Cache"/> is not set.</summary>
    public static ImageCache? For(PipelineOptions options, bool leaveBgr, ISourceCropAugmentation? sourceCrop, ColorMode pixelOrder)
    {
        if (options.Cache is not { } cache)
        {
            return null;
        }

        ImageDecoder decoder = (options with { Width = cache.Width ?? options.Width, Height = cache.Height ?? options.Height }).CreateDecoder(leaveBgr);
        return new ImageCache(cache, decoder, sourceCrop, options.Seed, pixelOrder, new Size(options.Width, options.Height));
    }

    /// <summary>The store for the dataset (a kept file opened), once discovery is done, before the first sample; the run's dataset owns it.</summary>
    public DecodedImageStore CreateStore(SampleSet set) =>
        new(_options, _decoder.Width, _decoder.Height, _decoder.Channels, set.Samples.Count, _options.Folder is null ? 0 : Fingerprint(set));

    /// <summary>
    /// The read stage's question: are this sample's pixels cached (so its bytes need not be read)? When they are, they
    /// are loaded (and, from the file, checked) into the sample's image here, for the decode stage to take.
    /// </summary>
    public bool TryServe(ImageSample sample)
    {
        if (sample.Batch.Epoch.Dataset.Cache.TryLoad(sample.Info!.Index) is not Mat cached)
        {
            return false;
        }

        sample.ReplaceImage(cached);
        return true;
    }

    /// <summary>The decode stage's work: the sample's pixels at the target size, from the cache or decoded (and then stored).</summary>
    /// <remarks>A Mat the read stage put in the sample stays the sample's: when a new one is returned, the sample disposes it on replacing it.</remarks>
    public Mat Decode(ImageSample sample)
    {
        if (sample.Image is Mat served)
        {
            return ToTarget(served, sample);
        }

        int index = sample.Info!.Index;
        DecodedImageStore store = sample.Batch.Epoch.Dataset.Cache;
        // Also a hit when the bytes were read because an earlier visit of the sample (the epoch before) was still
        // being decoded at read time, but has since stored it.
        Mat? cached = store.TryLoad(index);
        if (cached is null)
        {
            cached = _decoder.Decode(sample.Bytes!.Span, sample.Info.Id);
            try
            {
                store.Store(index, cached);
            }
            catch
            {
                cached.Dispose();
                throw;
            }
        }

        try
        {
            return ToTarget(cached, sample);
        }
        catch
        {
            cached.Dispose();
            throw;
        }
    }

    /// <summary>The cached image itself, or a new one resized from it (the cached one then disposed).</summary>
    private Mat ToTarget(Mat cached, ImageSample sample)
    {
        Size size = cached.Size();
        Rect region = _crop is null
            ? new Rect(0, 0, size.Width, size.Height)
            : _crop.SelectRegion(size, _target, AugmentationContext.ForSourceCrop(_seed, sample.Epoch, sample.Info!.Index, _pixelOrder));
        if (region == new Rect(0, 0, _target.Width, _target.Height) && size == _target)
        {
            return cached;
        }

        return ImageDecoder.ResizeRegion(cached, region, _target, _interpolation, "cached");
    }

    /// <summary>
    /// Identifies what the cache holds: the format, the decode options and the cache size, and every sample's id, label, and
    /// (for files) length and last write time, and on Linux the device, inode and status change time. A kept file with
    /// another fingerprint is rebuilt.
    /// </summary>
    private ulong Fingerprint(SampleSet set)
    {
        var hash = new XxHash3();
        var text = new StringBuilder();
        text.Append(DecodedImageStore.FormatVersion).Append('|').Append(_decoder.Width).Append('x').Append(_decoder.Height).Append('x').Append(_decoder.Channels)
            .Append('|').Append(_decoder.Color).Append(_decoder.LeaveBgr).Append('|').Append(_decoder.Resize).Append('|').Append(_decoder.Interpolation)
            .Append('|').Append(_decoder.ReducedDecode).Append(_decoder.HonorExifOrientation).Append(_decoder.AcceptTruncatedJpeg).Append(_decoder.MaxPixels);
        hash.Append(Encoding.UTF8.GetBytes(text.ToString()));
        foreach (SampleInfo sample in set.Samples)
        {
            text.Clear().Append('\n').Append(sample.Id).Append('|').Append(sample.Label);
            if (sample.State is null && File.Exists(sample.Id))
            {
                var file = new FileInfo(sample.Id);
                text.Append('|').Append(file.Length).Append('|').Append(file.LastWriteTimeUtc.Ticks);
                // A file rewritten in place with its size and modification time put back (cp -p, rsync -t, a tool that
                // restores the time) is told by its status change time, which no program can set; a file replaced by
                // another (renamed over it) by its inode.
                if (FileIdentity.Of(sample.Id) is FileIdentity identity)
                {
                    text.Append('|').Append(identity.Device).Append(':').Append(identity.Inode)
                        .Append('|').Append(identity.ChangeSeconds).Append('.').Append(identity.ChangeNanoseconds);
                }
            }

            hash.Append(Encoding.UTF8.GetBytes(text.ToString()));
        }

        return hash.GetCurrentHashAsUInt64();
    }
}
