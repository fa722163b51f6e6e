using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Tests;

[TestClass]
public sealed class PipelineOptionsTests
{
    [TestMethod]
    public void Defaults_AreDocumentedValues()
    {
        var o = new PipelineOptions();
        Assert.AreEqual(224, o.Width);
        Assert.AreEqual(224, o.Height);
        Assert.AreEqual(ColorMode.Rgb, o.ColorMode);
        Assert.AreEqual(ResizeMode.Stretch, o.ResizeMode);
        Assert.AreEqual(Interpolation.Bilinear, o.Interpolation);
        Assert.IsTrue(o.ReducedDecode);
        Assert.AreEqual(32, o.BatchSize);
        Assert.AreEqual(1, o.Epochs);
        Assert.IsTrue(o.Shuffle);
        Assert.IsTrue(o.ShuffleWithinBatch);
        Assert.IsFalse(o.DropLast);
        Assert.AreEqual(0, o.ValidationSplit);
        Assert.AreEqual(Subset.Training, o.Subset);
        Assert.AreSame(NormalizationOptions.ZeroToOne, o.Normalization);
        Assert.AreEqual(TensorLayout.Nchw, o.Layout);
        Assert.AreEqual(ErrorPolicy.SkipAndReport, o.ErrorPolicy);
        Assert.AreEqual(256L * 1024 * 1024, o.MaxFileBytes);
        Assert.AreEqual(0.875, o.CenterCropFraction);
        Assert.AreEqual(Environment.ProcessorCount, o.Decode.MaxDegreeOfParallelism);
        Assert.IsGreaterThanOrEqualTo(o.Decode.MaxDegreeOfParallelism, o.Decode.BoundedCapacity);
        o.Validate();
    }

    public static IEnumerable<object[]> InvalidOptions =>
    [
        [new PipelineOptions { Width = 0 }, "Width", "between 1 and 16384, was 0"],
        [new PipelineOptions { Height = 20000 }, "Height", "between 1 and 16384, was 20000"],
        [new PipelineOptions { BatchSize = 0 }, "BatchSize", "between 1 and 65536, was 0"],
        [new PipelineOptions { Epochs = -1 }, "Epochs", "between 1 and 100000, was -1"],
        [new PipelineOptions { PrefetchBatches = 0 }, "PrefetchBatches", "between 1 and 1024, was 0"],
        [new PipelineOptions { ValidationSplit = 1.0 }, "ValidationSplit", "at least 0 and below 1, was 1"],
        [new PipelineOptions { ValidationSplit = -0.1 }, "ValidationSplit", "at least 0 and below 1, was -0.1"],
        [new PipelineOptions { Subset = Subset.Validation }, "Subset", "set a split above 0 and below 1"],
        [new PipelineOptions { ColorMode = (ColorMode)7 }, "ColorMode", "must be one of Rgb, Bgr, Grayscale, was 7"],
        [new PipelineOptions { ResizeMode = (ResizeMode)9 }, "ResizeMode", "must be one of Stretch, CenterCrop, Letterbox, ShorterSideThenCenterCrop, was 9"],
        [new PipelineOptions { Interpolation = (Interpolation)9 }, "Interpolation", "must be one of Nearest, Bilinear, Area, Cubic, was 9"],
        [new PipelineOptions { Layout = (TensorLayout)3 }, "Layout", "must be one of Nchw, Nhwc, was 3"],
        [new PipelineOptions { ErrorPolicy = (ErrorPolicy)3 }, "ErrorPolicy", "must be one of SkipAndReport, FailFast, was 3"],
        [new PipelineOptions { MaxImagePixels = 0 }, "MaxImagePixels", "between 1 and 2147483648, was 0"],
        [new PipelineOptions { MaxFileBytes = 0 }, "MaxFileBytes", "between 1 and 2147483591, was 0"],
        [new PipelineOptions { MaxFileBytes = 1L << 31 }, "MaxFileBytes", "between 1 and 2147483591, was 2147483648"],
        [new PipelineOptions { CenterCropFraction = 0 }, "CenterCropFraction", "must be above 0 and at most 1, was 0"],
        [new PipelineOptions { CenterCropFraction = 1.5 }, "CenterCropFraction", "must be above 0 and at most 1, was 1.5"],
        [new PipelineOptions { CenterCropFraction = double.NaN }, "CenterCropFraction", "must be above 0 and at most 1, was NaN"],
        [new PipelineOptions { Decode = new StageOptions(0, 4) }, "Decode.MaxDegreeOfParallelism", "between 1 and 256, was 0"],
        [new PipelineOptions { Read = new StageOptions(4, 2) }, "Read.BoundedCapacity", "between 4 and 65536, was 2"],
        [new PipelineOptions { Normalize = new StageOptions(2, 100_000) }, "Normalize.BoundedCapacity", "between 2 and 65536, was 100000"],
        [new PipelineOptions { Augment = new StageOptions(300, 400) }, "Augment.MaxDegreeOfParallelism", "between 1 and 256, was 300"],
        [new PipelineOptions { ColorMode = ColorMode.Grayscale, Normalization = NormalizationOptions.ImageNet }, "Normalization.Mean", "1 or 1 values"],
        [new PipelineOptions { Augmentations = [null!] }, "Augmentations", "must not hold null"],
    ];

    [TestMethod]
    [DynamicData(nameof(InvalidOptions))]
    public void Build_InvalidOption_ThrowsNamingOptionAndAllowedValues(PipelineOptions options, string name, string message)
    {
        var builder = ImagePipeline.CreateBuilder(options);
        var e = Assert.Throws<ArgumentException>(() => builder.Build(_ => { }));
        Assert.AreEqual(name, e.ParamName);
        StringAssert.Contains(e.Message, message);
        StringAssert.Contains(e.Message, $"\"{name}\"");
    }

    [TestMethod]
    public void RoundTrip_WithExpression_KeepsEveryValue()
    {
        var flip = new RandomHorizontalFlip(0.25);
        var o = new PipelineOptions
        {
            Width = 32, Height = 16, ColorMode = ColorMode.Bgr, ResizeMode = ResizeMode.Letterbox, Interpolation = Interpolation.Area,
            BatchSize = 5, Epochs = 3, Seed = 99, ValidationSplit = 0.25, Subset = Subset.Validation, Augmentations = [flip],
            Normalization = NormalizationOptions.CaffeBgr, Layout = TensorLayout.Nhwc, ErrorPolicy = ErrorPolicy.FailFast,
            Decode = new StageOptions(3, 9), DropLast = true, PrefetchBatches = 4,
        };
        o.Validate();
        Assert.AreEqual(32, o.Width);
        Assert.AreEqual(16, o.Height);
        Assert.AreEqual(ColorMode.Bgr, o.ColorMode);
        Assert.AreEqual(ResizeMode.Letterbox, o.ResizeMode);
        Assert.AreEqual(Interpolation.Area, o.Interpolation);
        Assert.AreEqual(99, o.Seed);
        Assert.AreSame(flip, o.Augmentations[0]);
        Assert.AreEqual(new StageOptions(3, 9), o.Decode);
        Assert.AreEqual(4, o.PrefetchBatches);
    }

    [TestMethod]
    public async Task Builder_UsedTwice_Throws()
    {
        var builder = ImagePipeline.CreateBuilder(new PipelineOptions());
        await using ImagePipeline first = builder.BuildStream();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => builder.BuildStream());
        StringAssert.Contains(e.Message, "already built");
    }

    [TestMethod]
    public void RandomHorizontalFlip_InvalidProbability_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RandomHorizontalFlip(1.5));
        Assert.AreEqual("p", e.ParamName);
        StringAssert.Contains(e.Message, "at least 0 and at most 1, was 1.5");
    }
}
