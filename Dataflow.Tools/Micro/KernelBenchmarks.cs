using BenchmarkDotNet.Attributes;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Normalization;
using OpenCvSharp;

namespace Dataflow.Tools.Micro;

/// <summary>
/// The per-image kernels after decode: colour order, flip, and normalize + layout into the sample's row of a
/// batch tensor, on one 224×224 image (the pipeline's default target).
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private Mat _image = null!;
    private float[] _row = null!;
    private Normalizer _nchwImageNet = null!;
    private Normalizer _nhwcImageNet = null!;
    private Normalizer _nchwGray = null!;
    private Mat _gray = null!;

    /// <summary>Target side in pixels.</summary>
    [Params(224)]
    public int Size { get; set; }

    /// <summary>Builds a noisy image and the normalizers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _image = new Mat(Size, Size, MatType.CV_8UC3);
        Cv2.Randu(_image, Scalar.All(0), Scalar.All(255));
        _gray = new Mat(Size, Size, MatType.CV_8UC1);
        Cv2.Randu(_gray, Scalar.All(0), Scalar.All(255));
        _row = GC.AllocateUninitializedArray<float>(Size * Size * 3, pinned: true);
        _nchwImageNet = new Normalizer(NormalizationOptions.ImageNet, TensorLayout.Nchw, Size, Size, 3);
        _nhwcImageNet = new Normalizer(NormalizationOptions.ImageNet, TensorLayout.Nhwc, Size, Size, 3);
        _nchwGray = new Normalizer(NormalizationOptions.ZeroToOne, TensorLayout.Nchw, Size, Size, 1);
    }

    /// <summary>Frees the images.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _image.Dispose();
        _gray.Dispose();
    }

    /// <summary>ImageNet mean/std into an NCHW row (the default).</summary>
    [Benchmark(Baseline = true)]
    public void NormalizeNchwImageNet() => _nchwImageNet.Write(_image, _row);

    /// <summary>ImageNet mean/std into an NHWC row.</summary>
    [Benchmark]
    public void NormalizeNhwcImageNet() => _nhwcImageNet.Write(_image, _row);

    /// <summary>[0, 1] of a grayscale image.</summary>
    [Benchmark]
    public void NormalizeGray() => _nchwGray.Write(_gray, _row.AsSpan(0, Size * Size));

    /// <summary>The decoder's BGR → RGB conversion, in place.</summary>
    [Benchmark]
    public void BgrToRgb() => Cv2.CvtColor(_image, _image, ColorConversionCodes.BGR2RGB);

    /// <summary>The horizontal flip, in place.</summary>
    [Benchmark]
    public void FlipHorizontal() => Cv2.Flip(_image, _image, FlipMode.Y);
}

/// <summary>The assemble stage: a batch of 32 written samples into a <see cref="Batch"/> (labels, one-hot, paths), then returned to the pool.</summary>
[MemoryDiagnoser]
public class AssembleBenchmarks
{
    private readonly TensorPool _pool = new();
    private readonly ImageCounter _counter = new();
    private BatchAssembler _assembler = null!;
    private ImageSample[] _full = null!;
    private ImageSample[] _withGap = null!;

    /// <summary>Images per batch.</summary>
    [Params(32)]
    public int BatchSize { get; set; }

    /// <summary>Builds one group of written samples, and one with a skipped sample in its first row.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] classes = [.. Enumerable.Range(0, 10).Select(i => $"class{i}")];
        _assembler = new BatchAssembler(_pool, BatchSize, [3, 224, 224], TensorLayout.Nchw, classes);
        _full = Group(skipFirst: false);
        _withGap = Group(skipFirst: true);
    }

    /// <summary>A full batch: no row moves.</summary>
    [Benchmark(Baseline = true)]
    public void AssembleFull() => Assemble(_full);

    /// <summary>A batch whose first sample was skipped: every other row moves up by one.</summary>
    [Benchmark]
    public void AssembleWithGap() => Assemble(_withGap);

    private void Assemble(ImageSample[] group)
    {
        _assembler.TensorFor(0, 0);
        using Batch? batch = _assembler.Assemble(group);
    }

    private ImageSample[] Group(bool skipFirst)
    {
        var group = new ImageSample[BatchSize];
        for (int i = 0; i < BatchSize; i++)
        {
            var sample = new ImageSample(new SampleInfo(i, $"/data/class{i % 10}/{i:D5}.jpg", i % 10), Dataflow.Pipeline.Planning.PlannedBatch.Standalone(0, 0), i, i, _counter);
            if (skipFirst && i == 0)
            {
                sample.Skip("decode: benchmark");
            }
            else
            {
                sample.IsWritten = true;
            }

            group[i] = sample;
        }

        return group;
    }
}
