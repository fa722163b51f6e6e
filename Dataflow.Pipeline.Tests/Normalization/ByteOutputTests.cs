using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Normalization;

[TestClass]
public sealed class ByteOutputTests
{
    public static IEnumerable<object[]> Layouts =>
    [
        [TensorLayout.Nchw, ColorMode.Rgb], [TensorLayout.Nhwc, ColorMode.Rgb], [TensorLayout.Nchw, ColorMode.Bgr], [TensorLayout.Nchw, ColorMode.Grayscale],
    ];

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public async Task Run_ByteOutput_EqualsFloatBatchesBeforeNormalization(TensorLayout layout, ColorMode color)
    {
        using var d = new TempDataset().WithClasses(2, 7, 45, 31);
        var floats = new PipelineOptions
        {
            Width = 37, Height = 21, ColorMode = color, Layout = layout, BatchSize = 4, Epochs = 2, Seed = 5,
            Normalization = NormalizationOptions.None, Augmentations = [new RandomHorizontalFlip(), new ColorJitter(brightness: 0.3)],
        };
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(floats, d.Root);

        List<SeenBytes> bytes = await RunBytesAsync(floats with { Output = TensorElementType.UInt8 }, d.Root);

        Assert.HasCount(expected.Count, bytes);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Shape, bytes[i].Shape);
            CollectionAssert.AreEqual(expected[i].Paths, bytes[i].Paths);
            CollectionAssert.AreEqual(expected[i].Labels, bytes[i].Labels);
            CollectionAssert.AreEqual(expected[i].Data, bytes[i].Data.Select(b => (float)b).ToArray(), $"batch {i}");
        }
    }

    [TestMethod]
    public async Task Run_ByteOutput_FloatViewRefusedAndEveryTensorReturned()
    {
        using var d = new TempDataset().WithClasses(2, 3);
        var options = new PipelineOptions { Width = 8, Height = 6, BatchSize = 4, Normalization = NormalizationOptions.None, Output = TensorElementType.UInt8 };
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).Build(b =>
        {
            Assert.AreEqual(TensorElementType.UInt8, b.ElementType);
            var e = Assert.Throws<InvalidOperationException>(() => b.Data.Length);
            StringAssert.Contains(e.Message, "ByteData");
            Assert.AreEqual(b.Count * 3 * 6 * 8, b.ByteMemory.Length);
            throw new InvalidTimeZoneException("trainer failed");
        });
        pipeline.Post(d.Root);
        pipeline.Complete();

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => pipeline.Completion);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public void Build_ByteOutputWithNormalization_ThrowsNamingBoth()
    {
        var builder = ImagePipeline.CreateBuilder(new PipelineOptions { Output = TensorElementType.UInt8 });

        var e = Assert.Throws<ArgumentException>(() => builder.Build(_ => { }));

        Assert.AreEqual("Normalization", e.ParamName);
        StringAssert.Contains(e.Message, "Parameter \"Output\" is UInt8");
        StringAssert.Contains(e.Message, "\"Normalization\" must be none (scale 1, mean 0, std 1), was zero-to-one.");
    }

    [TestMethod]
    [DataRow(7, false)]
    [DataRow(37, false)]
    [DataRow(37, true)]
    public void WriteBytes_Nchw_EqualsOpenCvSplit(int width, bool swap)
    {
        using Mat image = TempDataset.Pattern(width, 5, 3);
        var normalizer = new Normalizer(NormalizationOptions.None, TensorLayout.Nchw, width, 5, 3);
        var tensor = new byte[normalizer.SampleLength];

        normalizer.WriteBytes(image, tensor, swap);

        Mat[] planes = Cv2.Split(image);
        try
        {
            for (int c = 0; c < 3; c++)
            {
                byte[] expected = ReferenceImages.Bytes(planes[swap ? 2 - c : c]);
                CollectionAssert.AreEqual(expected, tensor.AsSpan(c * width * 5, width * 5).ToArray(), $"plane {c}");
            }
        }
        finally
        {
            foreach (Mat plane in planes)
            {
                plane.Dispose();
            }
        }
    }

    [TestMethod]
    public void WriteBytes_RoiView_CopiesRowsOfTheView()
    {
        using Mat full = TempDataset.Pattern(40, 12, 9);
        using var view = new Mat(full, new Rect(3, 2, 33, 7));
        var normalizer = new Normalizer(NormalizationOptions.None, TensorLayout.Nhwc, 33, 7, 3);
        var tensor = new byte[normalizer.SampleLength];

        normalizer.WriteBytes(view, tensor);

        CollectionAssert.AreEqual(ReferenceImages.Bytes(view), tensor);
    }

    internal sealed record SeenBytes(int[] Shape, byte[] Data, int[] Labels, string[] Paths);

    internal static async Task<List<SeenBytes>> RunBytesAsync(PipelineOptions options, string root)
    {
        var seen = new List<SeenBytes>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).Build((Batch b) => seen.Add(new SeenBytes([.. b.Shape], b.ByteData.ToArray(), [.. b.Labels], [.. b.Paths])));
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        return seen;
    }
}
