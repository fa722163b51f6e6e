using BenchmarkDotNet.Attributes;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using OpenCvSharp;

namespace Dataflow.Tools.Micro;

/// <summary>
/// A random resized crop to 224×224 of a 1600×1200 JPEG, three ways: fused with the decoder's resize (the pipeline's
/// way: the crop's region of the full-size image, resized once, from a reduced decode where the region allows it);
/// and resized to 224×224 first, then cropped and resized again, after a reduced or a full decode. Each invocation
/// crops 16 samples (16 different regions).
/// </summary>
[MemoryDiagnoser]
public class SourceCropBenchmarks
{
    private const int Samples = 16;
    private readonly RandomResizedCrop _crop = new();
    private readonly Size _target = new(224, 224);
    private byte[] _jpeg = null!;
    private ImageDecoder _reduced = null!;
    private ImageDecoder _full = null!;

    /// <summary>Encodes a photo-like test image (soft shapes plus grain) and creates the decoders.</summary>
    [GlobalSetup]
    public void Setup()
    {
        using var image = new Mat(1200, 1600, MatType.CV_8UC3, new Scalar(60, 110, 170));
        var random = new Random(1);
        for (int k = 0; k < 40; k++)
        {
            Cv2.Circle(image, new Point(random.Next(1600), random.Next(1200)), random.Next(20, 300),
                new Scalar(random.Next(256), random.Next(256), random.Next(256)), -1);
        }

        Cv2.GaussianBlur(image, image, new Size(0, 0), 3);
        using var grain = new Mat(image.Size(), MatType.CV_8UC3);
        Cv2.Randn(grain, Scalar.All(0), Scalar.All(8));
        Cv2.Add(image, grain, image);
        Cv2.ImEncode(".jpg", image, out _jpeg, [(int)ImwriteFlags.JpegQuality, 90]);
        _reduced = new ImageDecoder(224, 224, ColorMode.Rgb, ResizeMode.Stretch, Interpolation.Bilinear, reducedDecode: true);
        _full = new ImageDecoder(224, 224, ColorMode.Rgb, ResizeMode.Stretch, Interpolation.Bilinear, reducedDecode: false);
    }

    /// <summary>The pipeline's fused crop: region of the full-size image, one resize.</summary>
    [Benchmark(Baseline = true)]
    public void Fused()
    {
        for (int i = 0; i < Samples; i++)
        {
            int index = i;
            using Mat result = _reduced.Decode(_jpeg, "bench", size => _crop.SelectRegion(size, _target, AugmentationContext.ForSourceCrop(1, 0, index)));
        }
    }

    /// <summary>Reduced decode, resize to 224, then crop and resize again (two resamplings).</summary>
    [Benchmark]
    public void ResizeThenCropReducedDecode() => ResizeThenCrop(_reduced);

    /// <summary>Full decode, resize to 224, then crop and resize again (two resamplings).</summary>
    [Benchmark]
    public void ResizeThenCropFullDecode() => ResizeThenCrop(_full);

    private void ResizeThenCrop(ImageDecoder decoder)
    {
        for (int i = 0; i < Samples; i++)
        {
            Mat sized = decoder.Decode(_jpeg, "bench");
            Mat cropped = _crop.Apply(sized, new AugmentationContext(1, 0, i));
            if (!ReferenceEquals(cropped, sized))
            {
                sized.Dispose();
            }

            cropped.Dispose();
        }
    }
}
