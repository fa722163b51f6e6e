using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Normalization;

[TestClass]
public sealed class NormalizerTests
{
    public static IEnumerable<object[]> Cases =>
    [
        ["zero-to-one", TensorLayout.Nchw], ["zero-to-one", TensorLayout.Nhwc],
        ["imagenet", TensorLayout.Nchw], ["imagenet", TensorLayout.Nhwc],
        ["caffe-bgr", TensorLayout.Nchw], ["caffe-bgr", TensorLayout.Nhwc],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Write_ColourImage_EqualsFormulaInLayout(string preset, TensorLayout layout)
    {
        NormalizationOptions options = NormalizationOptions.Presets[preset];
        using Mat image = TempDataset.Pattern(7, 5, 11);
        var normalizer = new Normalizer(options, layout, 7, 5, 3);
        var tensor = new float[normalizer.SampleLength];

        normalizer.Write(image, tensor);

        byte[] pixels = ReferenceImages.Bytes(image);
        for (int y = 0; y < 5; y++)
        {
            for (int x = 0; x < 7; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    float mean = options.Mean.Length == 1 ? options.Mean[0] : options.Mean[c];
                    float std = options.Std.Length == 1 ? options.Std[0] : options.Std[c];
                    float expected = (pixels[(y * 7 + x) * 3 + c] * options.Scale - mean) / std;
                    int at = layout == TensorLayout.Nchw ? c * 35 + y * 7 + x : (y * 7 + x) * 3 + c;
                    Assert.AreEqual(expected, tensor[at], 1e-4f, $"{preset} {layout} y={y} x={x} c={c}");
                }
            }
        }
    }

    [TestMethod]
    [DataRow(7)]
    [DataRow(37)]
    public void Write_BgrWithSwap_EqualsRgbWithoutSwap(int width)
    {
        using Mat bgr = TempDataset.Pattern(width, 5, 13);
        using Mat rgb = bgr.CvtColor(ColorConversionCodes.BGR2RGB);
        var normalizer = new Normalizer(NormalizationOptions.ImageNet, TensorLayout.Nchw, width, 5, 3);
        var swapped = new float[normalizer.SampleLength];
        var plain = new float[normalizer.SampleLength];

        normalizer.Write(bgr, swapped, swapRedBlue: true);
        normalizer.Write(rgb, plain);

        CollectionAssert.AreEqual(plain, swapped);
    }

    [TestMethod]
    public void Write_GrayImage_ScalesEveryPixel()
    {
        using Mat color = TempDataset.Pattern(6, 4, 2);
        using Mat gray = color.CvtColor(ColorConversionCodes.BGR2GRAY);
        var normalizer = new Normalizer(NormalizationOptions.ZeroToOne, TensorLayout.Nchw, 6, 4, 1);
        var tensor = new float[24];

        normalizer.Write(gray, tensor);

        byte[] pixels = ReferenceImages.Bytes(gray);
        for (int i = 0; i < 24; i++)
        {
            Assert.AreEqual(pixels[i] / 255f, tensor[i], 1e-6f);
        }
    }

    public static IEnumerable<object[]> WideCases =>
    [
        [TensorLayout.Nchw, 3, false], [TensorLayout.Nhwc, 3, false], [TensorLayout.Nchw, 1, false],
        [TensorLayout.Nchw, 3, true], [TensorLayout.Nhwc, 3, true], [TensorLayout.Nhwc, 1, true],
    ];

    [TestMethod]
    [DynamicData(nameof(WideCases))]
    public void Write_RowsWiderThanOneSimdStep_EqualsFormulaIncludingTailAndRoi(TensorLayout layout, int channels, bool roi)
    {
        // 37 pixels a row: two 16-pixel SIMD steps and a 5-pixel scalar tail; an ROI view has a row step wider than its row.
        const int width = 37, height = 4;
        NormalizationOptions options = channels == 3 ? NormalizationOptions.ImageNet : NormalizationOptions.ZeroToOne;
        using Mat color = TempDataset.Pattern(width + 9, height + 3, 5);
        using Mat full = channels == 3 ? color.Clone() : color.CvtColor(ColorConversionCodes.BGR2GRAY);
        using Mat image = roi ? new Mat(full, new Rect(4, 2, width, height)) : new Mat(full, new Rect(0, 0, width, height)).Clone();
        var normalizer = new Normalizer(options, layout, width, height, channels);
        var tensor = new float[normalizer.SampleLength];

        normalizer.Write(image, tensor);

        byte[] pixels = ReferenceImages.Bytes(image);
        for (int i = 0; i < width * height; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                float mean = options.Mean.Length == 1 ? options.Mean[0] : options.Mean[c];
                float std = options.Std.Length == 1 ? options.Std[0] : options.Std[c];
                float expected = (pixels[i * channels + c] * options.Scale - mean) / std;
                int at = layout == TensorLayout.Nchw ? c * width * height + i : i * channels + c;
                Assert.AreEqual(expected, tensor[at], 1e-4f, $"{layout} pixel {i} channel {c}");
            }
        }
    }

    [TestMethod]
    public void Write_WrongSize_Throws()
    {
        using Mat image = TempDataset.Pattern(6, 4, 2);
        var normalizer = new Normalizer(NormalizationOptions.ZeroToOne, TensorLayout.Nchw, 5, 4, 3);
        Assert.ThrowsExactly<ArgumentException>(() => normalizer.Write(image, new float[60]));
        Assert.ThrowsExactly<ArgumentException>(() => normalizer.Write(image, new float[3]));
    }

    [TestMethod]
    public void Constructor_InvalidNormalization_ThrowsNamingTheOption()
    {
        var std = Assert.ThrowsExactly<PipelineOptionsException>(() => new Normalizer(new NormalizationOptions(1, [0], [0]), TensorLayout.Nchw, 2, 2, 3));
        Assert.AreEqual("Normalization.Std", std.ParamName);
        Assert.AreEqual("Parameter \"Normalization.Std\" values must be finite and above 0, was [0].", std.Message);
        var mean = Assert.ThrowsExactly<PipelineOptionsException>(() => new Normalizer(new NormalizationOptions(1, [0, 0], [1]), TensorLayout.Nchw, 2, 2, 3));
        Assert.AreEqual("Normalization.Mean", mean.ParamName);
        Assert.AreEqual("Parameter \"Normalization.Mean\" must have 1 or 3 values for a 3-channel image, had 2.", mean.Message);
        var scale = Assert.ThrowsExactly<PipelineOptionsException>(() => new Normalizer(new NormalizationOptions(-1, [0], [1]), TensorLayout.Nchw, 2, 2, 1));
        Assert.AreEqual("Normalization.Scale", scale.ParamName);
        Assert.AreEqual("Parameter \"Normalization.Scale\" must be a finite number above 0, was -1.", scale.Message);
    }
}
