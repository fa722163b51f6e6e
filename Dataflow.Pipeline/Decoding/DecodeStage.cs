using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Caching;
using OpenCvSharp;

namespace Dataflow.Pipeline.Decoding;

/// <summary>
/// The decode stage: encoded bytes to pixels at the target size. A leading <see cref="ISourceCropAugmentation"/>
/// is fused with the decoder's resize: it picks its region of the full-size image here, with draws of its own
/// from (seed, epoch, sample index), and the augment stage skips it.
/// </summary>
internal sealed class DecodeStage
{
    private readonly ImageDecoder _decoder;
    private readonly ISourceCropAugmentation? _crop;
    private readonly long _seed;
    private readonly ColorMode _pixelOrder;
    private readonly Size _target;
    private readonly ImageCache? _cache;
    private readonly Targets.TargetOptions _targets;

    public DecodeStage(ImageDecoder decoder, ISourceCropAugmentation? sourceCrop, long seed, ColorMode pixelOrder, Size target, ImageCache? cache = null,
        Targets.TargetOptions? targets = null)
    {
        _targets = targets ?? Targets.TargetOptions.Default;
        _cache = cache;
        _decoder = decoder;
        _crop = sourceCrop;
        _seed = seed;
        _pixelOrder = pixelOrder;
        _target = target;
    }

    public void Decode(ImageSample sample)
    {
        if (_cache is not null)
        {
            // From the cache, or decoded at the cache size and stored there; then as for the uncached path.
            Mat pixels = _cache.Decode(sample);
            sample.ReleaseBytes();
            sample.ReplaceImage(pixels);
            return;
        }

        if (sample.Batch.Epoch.Dataset.Set.TargetSchema is Targets.TargetSchema schema)
        {
            // The decode's geometry is the targets' first step; the masks are made here, at the source size.
            var geometry = new Targets.DecodeGeometry();
            Mat decoded = _decoder.Decode(sample.Bytes!.Span, sample.Info!.Id, SourceRegion(sample), geometry);
            sample.ReleaseBytes();
            sample.ReplaceImage(decoded);
            sample.TargetState = Targets.TargetState.Start(sample.Info, schema, _targets, geometry, decoded.Size());
            return;
        }

        Mat image = _decoder.Decode(sample.Bytes!.Span, sample.Info!.Id, SourceRegion(sample));
        sample.ReleaseBytes();
        sample.ReplaceImage(image);
    }

    private Func<Size, Rect>? SourceRegion(ImageSample sample)
    {
        if (_crop is null)
        {
            return null;
        }

        // A fresh context per call: the decoder may ask about several sizes, and each answer must not depend on the others.
        ISourceCropAugmentation crop = _crop;
        long seed = _seed;
        int epoch = sample.Epoch, index = sample.Info!.Index;
        ColorMode color = _pixelOrder;
        Size target = _target;
        return size => crop.SelectRegion(size, target, AugmentationContext.ForSourceCrop(seed, epoch, index, color));
    }
}
