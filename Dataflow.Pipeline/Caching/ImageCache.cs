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
/// resized to the target with the pipeline's interpolation. A hit and a miss thus give the same pixels. For a dataset with
/// targets each entry keeps the decode's geometry beside its pixels, and the targets start from it (then follow the step to
/// the target): a hit and a miss give the same targets too.
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
    private readonly Targets.TargetOptions _targets;

    /// <param name="options">The cache's options.</param>
    /// <param name="decoder">The decoder at the cache size (the pipeline's own when the cache is at the target size).</param>
    /// <param name="sourceCrop">A leading source crop: applied to the cached image instead of the full-size one.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="pixelOrder">The channel order the augmentations see.</param>
    /// <param name="target">The pipeline's target size.</param>
    /// <param name="targets">The rules targets follow (for a dataset with targets).</param>
    public ImageCache(DecodedImageCacheOptions options, ImageDecoder decoder, ISourceCropAugmentation? sourceCrop, long seed, ColorMode pixelOrder, Size target,
        Targets.TargetOptions? targets = null)
    {
        _targets = targets ?? Targets.TargetOptions.Default;
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
        return new ImageCache(cache, decoder, sourceCrop, options.Seed, pixelOrder, new Size(options.Width, options.Height), options.Targets);
    }

    /// <summary>The store for the dataset (a kept file opened), once discovery is done, before the first sample; the run's dataset owns it.</summary>
    public DecodedImageStore CreateStore(SampleSet set) =>
        new(_options, _decoder.Width, _decoder.Height, _decoder.Channels, set.Samples.Count, _options.Folder is null ? 0 : Fingerprint(set), geometry: set.TargetSchema is not null);

    /// <summary>
    /// The read stage's question: are this sample's pixels cached (so its bytes need not be read)? When they are, they
    /// are loaded (and, from the file, checked) into the sample's image here, for the decode stage to take.
    /// </summary>
    public bool TryServe(ImageSample sample)
    {
        if (sample.Batch.Epoch.Dataset.Cache.TryLoad(sample.Info!.Index, out Targets.DecodeGeometry? geometry) is not Mat cached)
        {
            return false;
        }

        sample.ReplaceImage(cached);
        sample.ServedGeometry = geometry;
        return true;
    }

    /// <summary>
    /// The decode stage's work: the sample's pixels at the target size, from the cache or decoded (and then stored); for a
    /// dataset with targets, the sample's <see cref="ImageSample.TargetState"/> started from the entry's decode geometry and
    /// moved to the target.
    /// </summary>
    /// <remarks>A Mat the read stage put in the sample stays the sample's: when a new one is returned, the sample disposes it on replacing it.</remarks>
    public Mat Decode(ImageSample sample)
    {
        Targets.TargetSchema? schema = sample.Batch.Epoch.Dataset.Set.TargetSchema;
        if (sample.Image is Mat served)
        {
            Targets.DecodeGeometry? geometry = sample.ServedGeometry;
            sample.ServedGeometry = null;
            StartTargets(sample, schema, geometry, served.Size());
            return ToTarget(served, sample);
        }

        int index = sample.Info!.Index;
        DecodedImageStore store = sample.Batch.Epoch.Dataset.Cache;
        // Also a hit when the bytes were read because an earlier visit of the sample (the epoch before) was still
        // being decoded at read time, but has since stored it.
        Mat? cached = store.TryLoad(index, out Targets.DecodeGeometry? decode);
        if (cached is null)
        {
            decode = schema is null ? null : new Targets.DecodeGeometry();
            cached = _decoder.Decode(sample.Bytes!.Span, sample.Info.Id, null, decode);
            try
            {
                store.Store(index, cached, decode);
            }
            catch
            {
                cached.Dispose();
                throw;
            }
        }

        try
        {
            StartTargets(sample, schema, decode, cached.Size());
            return ToTarget(cached, sample);
        }
        catch
        {
            cached.Dispose();
            throw;
        }
    }

    /// <summary>Starts the sample's targets from the geometry of the decode that gave its cached pixels (nothing without a schema).</summary>
    private void StartTargets(ImageSample sample, Targets.TargetSchema? schema, Targets.DecodeGeometry? decode, Size cached)
    {
        if (schema is not null)
        {
            sample.TargetState = Targets.TargetState.Start(sample.Info!, schema, _targets, decode
                ?? throw new InvalidOperationException($"The decoded-image cache has no decode geometry for {sample}."), cached);
        }
    }

    /// <summary>The cached image itself, or a new one resized from it (the cached one then disposed); the sample's targets take the same step.</summary>
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

        Mat resized = ImageDecoder.ResizeRegion(cached, region, _target, _interpolation, "cached");
        sample.TargetState?.Apply(Targets.Affine2D.RegionTo(region, _target.Width, _target.Height), _target, _interpolation == Interpolation.Nearest);
        return resized;
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
