using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Normalization;

/// <summary>Per-channel values belong to colours: each reaches the channel of its colour whatever the pipeline's channel order.</summary>
[TestClass]
public sealed class NormalizationOptionsTests
{
    [TestMethod]
    public void Presets_DeclareTheColourOrderOfTheirValues()
    {
        Assert.AreEqual(ColorMode.Rgb, NormalizationOptions.ImageNet.ChannelOrder);
        Assert.AreEqual(ColorMode.Bgr, NormalizationOptions.CaffeBgr.ChannelOrder);
        Assert.AreEqual(ColorMode.Rgb, new NormalizationOptions(1, [1, 2, 3], [1]).ChannelOrder);
    }

    [TestMethod]
    public void InChannelOrder_OtherOrder_ValuesReversedAndOrderDeclared()
    {
        NormalizationOptions imageNetBgr = NormalizationOptions.ImageNet.InChannelOrder(ColorMode.Bgr);
        Assert.AreEqual(ColorMode.Bgr, imageNetBgr.ChannelOrder);
        CollectionAssert.AreEqual(new[] { 0.406f, 0.456f, 0.485f }, imageNetBgr.Mean.ToArray());
        CollectionAssert.AreEqual(new[] { 0.225f, 0.224f, 0.229f }, imageNetBgr.Std.ToArray());
        Assert.AreEqual(NormalizationOptions.ImageNet.Scale, imageNetBgr.Scale);
        Assert.AreEqual("imagenet", imageNetBgr.Name);

        NormalizationOptions caffeRgb = NormalizationOptions.CaffeBgr.InChannelOrder(ColorMode.Rgb);
        CollectionAssert.AreEqual(new[] { 123.68f, 116.779f, 103.939f }, caffeRgb.Mean.ToArray());
        CollectionAssert.AreEqual(new[] { 1f }, caffeRgb.Std.ToArray());
    }

    [TestMethod]
    public void InChannelOrder_NothingToMove_SameInstance()
    {
        Assert.AreSame(NormalizationOptions.ImageNet, NormalizationOptions.ImageNet.InChannelOrder(ColorMode.Rgb));
        Assert.AreSame(NormalizationOptions.ZeroToOne, NormalizationOptions.ZeroToOne.InChannelOrder(ColorMode.Bgr));
        Assert.AreSame(NormalizationOptions.CaffeBgr, NormalizationOptions.CaffeBgr.InChannelOrder(ColorMode.Grayscale));
    }

    [TestMethod]
    [DataRow(ColorMode.Bgr, "imagenet")]
    [DataRow(ColorMode.Rgb, "caffe-bgr")]
    [DataRow(ColorMode.Rgb, "imagenet")]
    [DataRow(ColorMode.Bgr, "caffe-bgr")]
    public void Normalizer_GivenTheImageColourMode_EachValueGoesToItsColour(ColorMode color, string preset)
    {
        NormalizationOptions options = NormalizationOptions.Presets[preset];
        using Mat bgr = TempDataset.Pattern(19, 5, 3);
        using Mat image = color == ColorMode.Rgb ? bgr.CvtColor(ColorConversionCodes.BGR2RGB) : bgr.Clone();
        var normalizer = new Normalizer(options, TensorLayout.Nhwc, 19, 5, color);
        var tensor = new float[normalizer.SampleLength];

        normalizer.Write(image, tensor);

        AssertEqualsFormula(ReferenceImages.Bytes(image), tensor, 19 * 5, TensorLayout.Nhwc, color, options, preset);
    }

    public static IEnumerable<object[]> GraphCases =>
    [
        // The cases that were wrong by index: BGR with RGB statistics, RGB with BGR statistics.
        [ColorMode.Bgr, "imagenet", TensorLayout.Nchw, false],
        [ColorMode.Bgr, "imagenet", TensorLayout.Nhwc, false],
        // RGB NCHW in one block: the decoder leaves BGR and the normalizer swaps the planes while writing.
        [ColorMode.Rgb, "caffe-bgr", TensorLayout.Nchw, false],
        // RGB NCHW with a user stage: the decoder converts to RGB itself.
        [ColorMode.Rgb, "caffe-bgr", TensorLayout.Nchw, true],
        [ColorMode.Rgb, "caffe-bgr", TensorLayout.Nhwc, false],
        [ColorMode.Rgb, "imagenet", TensorLayout.Nchw, false],
        [ColorMode.Bgr, "caffe-bgr", TensorLayout.Nchw, false],
    ];

    [TestMethod]
    [DynamicData(nameof(GraphCases))]
    public async Task Run_AnyColourModeAndPreset_EveryValueIsThePixelOfItsColourNormalizedWithThatColoursMeanAndStd(
        ColorMode color, string preset, TensorLayout layout, bool userStage)
    {
        using var data = new TempDataset().WithClasses(2, 2, 21, 13);
        NormalizationOptions options = NormalizationOptions.Presets[preset];
        var seen = new List<SeenBatch>();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(new PipelineOptions
        {
            Width = 16, Height = 12, ReducedDecode = false, BatchSize = 4, ColorMode = color, Normalization = options, Layout = layout,
        });
        if (userStage)
        {
            builder.AddStage(StagePosition.AfterDecode, "look", _ => { });
        }

        ImagePipeline pipeline = builder.Build(b => seen.Add(SeenBatch.Copy(b)));
        Assert.IsTrue(pipeline.Post(data.Root));
        pipeline.Complete();
        await pipeline.Completion;

        Assert.AreEqual(4, seen.Sum(b => b.Labels.Length));
        foreach (SeenBatch batch in seen)
        {
            for (int r = 0; r < batch.Labels.Length; r++)
            {
                // OpenCV's own decode and resize, in the pipeline's channel order.
                using Mat expected = ReferenceImages.DecodeResize(batch.Paths[r], 16, 12, color);
                AssertEqualsFormula(ReferenceImages.Bytes(expected), batch.Data.AsSpan(r * 576, 576).ToArray(), 16 * 12, layout, color, options, batch.Paths[r]);
            }
        }

        PipelineRunner.AssertNothingHeld(pipeline);
    }

    /// <summary>
    /// Every value equals <c>(pixel × scale − mean[colour]) / std[colour]</c>, the colour of channel k being named by the
    /// image's colour mode and each statistic looked up by colour in the options' declared order.
    /// </summary>
    private static void AssertEqualsFormula(byte[] pixels, float[] tensor, int area, TensorLayout layout, ColorMode color, NormalizationOptions options, string what)
    {
        string[] imageColours = color == ColorMode.Rgb ? ["red", "green", "blue"] : ["blue", "green", "red"];
        string[] statColours = options.ChannelOrder == ColorMode.Rgb ? ["red", "green", "blue"] : ["blue", "green", "red"];
        for (int c = 0; c < 3; c++)
        {
            int s = Array.IndexOf(statColours, imageColours[c]);
            float mean = options.Mean.Length == 1 ? options.Mean[0] : options.Mean[s];
            float std = options.Std.Length == 1 ? options.Std[0] : options.Std[s];
            for (int i = 0; i < area; i++)
            {
                float expected = (pixels[i * 3 + c] * options.Scale - mean) / std;
                float actual = tensor[layout == TensorLayout.Nchw ? c * area + i : i * 3 + c];
                Assert.AreEqual(expected, actual, 1e-4f * Math.Max(1f, Math.Abs(expected)), $"{what}: {color} {options.Name} {layout}, {imageColours[c]} channel, pixel {i}");
            }
        }
    }
}
