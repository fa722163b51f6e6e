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
        Assert.AreEqual(0, o.FirstEpoch);
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
        [new PipelineOptions { Width = 0 }, "Width", "Parameter \"Width\" must be between 1 and 16384, was 0."],
        [new PipelineOptions { Height = 20000 }, "Height", "Parameter \"Height\" must be between 1 and 16384, was 20000."],
        [new PipelineOptions { BatchSize = 0 }, "BatchSize", "Parameter \"BatchSize\" must be between 1 and 65536, was 0."],
        [new PipelineOptions { Epochs = -1 }, "Epochs", "Parameter \"Epochs\" must be between 1 and 100000, was -1."],
        [new PipelineOptions { Epochs = 2, FirstEpoch = 2 }, "FirstEpoch",
            "Parameter \"FirstEpoch\" must be between 0 and 1 (\"Epochs\" - 1: the run streams epochs FirstEpoch to Epochs - 1), was 2."],
        [new PipelineOptions { FirstEpoch = -1 }, "FirstEpoch",
            "Parameter \"FirstEpoch\" must be between 0 and 0 (\"Epochs\" - 1: the run streams epochs FirstEpoch to Epochs - 1), was -1."],
        [new PipelineOptions { PrefetchBatches = 0 }, "PrefetchBatches", "Parameter \"PrefetchBatches\" must be between 1 and 1024, was 0."],
        [new PipelineOptions { ValidationSplit = 1.0 }, "ValidationSplit", "Parameter \"ValidationSplit\" must be at least 0 and below 1, was 1."],
        [new PipelineOptions { ValidationSplit = -0.1 }, "ValidationSplit", "Parameter \"ValidationSplit\" must be at least 0 and below 1, was -0.1."],
        [new PipelineOptions { Subset = Subset.Validation }, "Subset",
            "Parameter \"Subset\" is Validation but \"ValidationSplit\" is 0: set a split above 0 and below 1."],
        [new PipelineOptions { ColorMode = (ColorMode)7 }, "ColorMode", "Parameter \"ColorMode\" must be one of Rgb, Bgr, Grayscale, was 7."],
        [new PipelineOptions { ResizeMode = (ResizeMode)9 }, "ResizeMode", "Parameter \"ResizeMode\" must be one of Stretch, CenterCrop, Letterbox, ShorterSideThenCenterCrop, was 9."],
        [new PipelineOptions { Interpolation = (Interpolation)9 }, "Interpolation", "Parameter \"Interpolation\" must be one of Nearest, Bilinear, Area, Cubic, AntialiasedBilinear, was 9."],
        [new PipelineOptions { Layout = (TensorLayout)3 }, "Layout", "Parameter \"Layout\" must be one of Nchw, Nhwc, was 3."],
        [new PipelineOptions { ErrorPolicy = (ErrorPolicy)3 }, "ErrorPolicy", "Parameter \"ErrorPolicy\" must be one of SkipAndReport, FailFast, was 3."],
        [new PipelineOptions { MaxFailures = -1 }, "MaxFailures", "Parameter \"MaxFailures\" must be between 0 and 2147483647, was -1."],
        [new PipelineOptions { MaxFailureFraction = 1.5 }, "MaxFailureFraction", "Parameter \"MaxFailureFraction\" must be at least 0 and at most 1, was 1.5."],
        [new PipelineOptions { MaxImagePixels = 0 }, "MaxImagePixels", "Parameter \"MaxImagePixels\" must be between 1 and 2147483648, was 0."],
        [new PipelineOptions { MaxFileBytes = 0 }, "MaxFileBytes", "Parameter \"MaxFileBytes\" must be between 1 and 2147483591, was 0."],
        [new PipelineOptions { MaxFileBytes = 1L << 31 }, "MaxFileBytes", "Parameter \"MaxFileBytes\" must be between 1 and 2147483591, was 2147483648."],
        [new PipelineOptions { CenterCropFraction = 0 }, "CenterCropFraction", "Parameter \"CenterCropFraction\" must be above 0 and at most 1, was 0."],
        [new PipelineOptions { CenterCropFraction = 1.5 }, "CenterCropFraction", "Parameter \"CenterCropFraction\" must be above 0 and at most 1, was 1.5."],
        [new PipelineOptions { CenterCropFraction = double.NaN }, "CenterCropFraction", "Parameter \"CenterCropFraction\" must be above 0 and at most 1, was NaN."],
        [new PipelineOptions { Decode = new StageOptions(0, 4) }, "Decode.MaxDegreeOfParallelism", "Parameter \"Decode.MaxDegreeOfParallelism\" must be between 1 and 256, was 0."],
        [new PipelineOptions { Read = new StageOptions(4, 2) }, "Read.BoundedCapacity", "Parameter \"Read.BoundedCapacity\" must be between 4 and 65536, was 2."],
        [new PipelineOptions { Normalize = new StageOptions(2, 100_000) }, "Normalize.BoundedCapacity", "Parameter \"Normalize.BoundedCapacity\" must be between 2 and 65536, was 100000."],
        [new PipelineOptions { Augment = new StageOptions(300, 400) }, "Augment.MaxDegreeOfParallelism", "Parameter \"Augment.MaxDegreeOfParallelism\" must be between 1 and 256, was 300."],
        [new PipelineOptions { Output = (TensorElementType)5 }, "Output", "Parameter \"Output\" must be one of Float32, UInt8, was 5."],
        [new PipelineOptions { Decode = null! }, "Decode", "Parameter \"Decode\" must be set, was null."],
        [new PipelineOptions { Targets = null! }, "Targets", "Parameter \"Targets\" must be set, was null."],
        [new PipelineOptions { Targets = new() { MinBoxSize = -1 } }, "Targets.MinBoxSize", "Parameter \"Targets.MinBoxSize\" must be at least 0 and at most 16384, was -1."],
        [new PipelineOptions { Targets = new() { MinVisibility = 1.5 } }, "Targets.MinVisibility", "Parameter \"Targets.MinVisibility\" must be at least 0 and at most 1, was 1.5."],
        [new PipelineOptions { Targets = new() { BoxFormat = new((Dataflow.Pipeline.Targets.BoxCoordinates)4) } }, "Targets.BoxFormat",
            "Parameter \"Targets.BoxFormat\" must be one of Xyxy, Xywh, Cxcywh, was 4."],
        [new PipelineOptions { Normalization = null! }, "Normalization", "Parameter \"Normalization\" must be set, was null."],
        [new PipelineOptions { Normalization = new NormalizationOptions(1, [0, 0], [1]) }, "Normalization.Mean",
            "Parameter \"Normalization.Mean\" must have 1 or 3 values for a 3-channel image, had 2."],
        [new PipelineOptions { Normalization = new NormalizationOptions(0, [0], [1]) }, "Normalization.Scale",
            "Parameter \"Normalization.Scale\" must be a finite number above 0, was 0."],
        [new PipelineOptions { Normalization = new NormalizationOptions(1, [0], [1, 0, 2]) }, "Normalization.Std",
            "Parameter \"Normalization.Std\" values must be finite and above 0, was [1, 0, 2]."],
        [new PipelineOptions { Normalization = new NormalizationOptions(1, [0], [1], channelOrder: ColorMode.Grayscale) }, "Normalization.ChannelOrder",
            "Parameter \"Normalization.ChannelOrder\" must be one of Rgb, Bgr, was Grayscale."],
        [new PipelineOptions { Augmentations = null! }, "Augmentations", "Parameter \"Augmentations\" must be set (empty for none), was null."],
        [new PipelineOptions { Augmentations = [new RandomHorizontalFlip(), null!] }, "Augmentations", "Parameter \"Augmentations\" must not hold null, was null at index 1."],
        [new PipelineOptions { Extensions = [".png", "jpg"] }, "Extensions",
            "Parameter \"Extensions\" must hold extensions that start with a dot, as \".jpg\", was \"jpg\" at index 1."],
        [new PipelineOptions { Extensions = [null!] }, "Extensions",
            "Parameter \"Extensions\" must hold extensions that start with a dot, as \".jpg\", was null at index 0."],
        [new PipelineOptions { Extensions = [] }, "Extensions", "Parameter \"Extensions\" must hold at least one extension, was empty."],
        [new PipelineOptions { Width = 4096, Height = 4096, BatchSize = 128 }, "BatchSize",
            "Parameter \"BatchSize\" × sample length (\"Width\" × \"Height\" × channels = 4096 × 4096 × 3 = 50331648) must be at most 2147483591 floats "
            + "(the largest .NET array) for one batch tensor, was 128 × 50331648 = 6442450944."],
        [new PipelineOptions { Width = 32, Height = 32, Augmentations = [new RandomHorizontalFlip(), new RandomCrop(24, 24)] }, "Augmentations",
            "Parameter \"Augmentations\" must give images of the target size 32x32, was 24x24 from [1] RandomCrop(size=24x24, padding=0, mode=Constant, fill=0)."],
        [new PipelineOptions { Width = 32, Height = 32, Augmentations = [new RandomCrop(24)] }, "Augmentations",
            "Parameter \"Augmentations\" must give images of the target size 32x32, was 24x32 from [0] RandomCrop(size=24xinput, padding=0, mode=Constant, fill=0)."],
        [new PipelineOptions { Width = 32, Height = 32, Augmentations = [new RandomApply(0.5, new RandomCrop(24, 24)), new RandomHorizontalFlip()] }, "Augmentations",
            "Parameter \"Augmentations\" must give images of the target size 32x32, was 24x24 from [0] RandomApply(p=0.5, [RandomCrop(size=24x24, padding=0, mode=Constant, fill=0)])."],
        [new PipelineOptions { Width = 32, Height = 32, Augmentations = [new OneOf(new RandomHorizontalFlip(), new RandomCrop(24, 24))] }, "Augmentations",
            "Parameter \"Augmentations\" must give images of the target size 32x32, was 24x24 from [0] OneOf([RandomHorizontalFlip(p=0.5), "
            + "RandomCrop(size=24x24, padding=0, mode=Constant, fill=0)], weights=[1, 1])."],
    ];

    [TestMethod]
    [DynamicData(nameof(InvalidOptions))]
    public void Build_InvalidOption_ThrowsNamingOptionAllowedValuesAndValue(PipelineOptions options, string name, string message)
    {
        var builder = ImagePipeline.CreateBuilder(options);
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => builder.Build(_ => { }));
        Assert.IsInstanceOfType<ArgumentException>(e);
        Assert.AreEqual(name, e.ParamName);
        Assert.AreEqual(message, e.Message);
        Assert.AreEqual(new OptionFailure(name, message), e.Failures.Single());
    }

    [TestMethod]
    public void Validate_SeveralInvalidOptions_OneExceptionListingEveryFailureInDeclarationOrder()
    {
        var options = new PipelineOptions
        {
            Width = 0,
            ColorMode = ColorMode.Grayscale,
            Extensions = ["png"],
            Augmentations = [null!],
            Normalization = NormalizationOptions.ImageNet,
            Decode = new StageOptions(0, 4),
        };

        var e = Assert.ThrowsExactly<PipelineOptionsException>(options.Validate);

        Assert.AreEqual("Width", e.ParamName);
        CollectionAssert.AreEqual(
            new[] { "Width", "Extensions", "Augmentations", "Normalization.Mean", "Normalization.Std", "Decode.MaxDegreeOfParallelism" },
            e.Failures.Select(f => f.Option).ToArray());
        string[] lines =
        [
            "Invalid pipeline options (6 failures):",
            "- Parameter \"Width\" must be between 1 and 16384, was 0.",
            "- Parameter \"Extensions\" must hold extensions that start with a dot, as \".jpg\", was \"png\" at index 0.",
            "- Parameter \"Augmentations\" must not hold null, was null at index 0.",
            "- Parameter \"Normalization.Mean\" must have 1 value for a 1-channel (Grayscale) image, had 3.",
            "- Parameter \"Normalization.Std\" must have 1 value for a 1-channel (Grayscale) image, had 3.",
            "- Parameter \"Decode.MaxDegreeOfParallelism\" must be between 1 and 256, was 0.",
        ];
        Assert.AreEqual(string.Join(Environment.NewLine, lines), e.Message);
    }

    [TestMethod]
    public void Validate_AugmentationsThatRestoreTheTargetSizeOrDoNotDeclareIt_Accepted()
    {
        // Padding then cropping back (the CIFAR recipe), a crop of the target's own size, and combinators that keep the size.
        new PipelineOptions
        {
            Width = 32, Height = 24,
            Augmentations =
            [
                new RandomCrop(padding: 4), new RandomCrop(40, 30, padding: 8), new RandomCrop(32, 24),
                new OneOf(new RandomHorizontalFlip(), new RandomCrop(32, 24, padding: 2)), new RandomApply(0.5, new RandomCrop(16, 16), new RandomCrop(32, 24, padding: 8)),
            ],
        }.Validate();

        // A user's transform that declares nothing may resize: what follows it is checked on each image, not at build.
        new PipelineOptions { Width = 32, Height = 32, Augmentations = [new RandomCrop(24, 24), new UndeclaredResize()] }.Validate();
        new PipelineOptions { Width = 32, Height = 32, Augmentations = [new UndeclaredResize(), new RandomCrop(24, 24)] }.Validate();
    }

    [TestMethod]
    public void Validate_LargestBatchThatFitsOneArray_Accepted()
    {
        // 16384 x 16384 x 3 floats is 805306368 per sample: two fit below Array.MaxLength, three do not.
        new PipelineOptions { Width = 16_384, Height = 16_384, BatchSize = 2 }.Validate();
        var e = Assert.ThrowsExactly<PipelineOptionsException>(new PipelineOptions { Width = 16_384, Height = 16_384, BatchSize = 3 }.Validate);
        Assert.AreEqual("BatchSize", e.ParamName);
        StringAssert.Contains(e.Message, "\"Width\" × \"Height\" × channels = 16384 × 16384 × 3 = 805306368");
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

    /// <summary>A user's transform that does not declare its output size (it may resize).</summary>
    private sealed class UndeclaredResize : IAugmentation
    {
        public OpenCvSharp.Mat Apply(OpenCvSharp.Mat image, AugmentationContext context) => image;
    }
}
