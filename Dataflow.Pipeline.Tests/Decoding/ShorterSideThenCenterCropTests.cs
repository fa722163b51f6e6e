using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Reliability;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Decoding;

/// <summary>
/// <see cref="ResizeMode.ShorterSideThenCenterCrop"/> through the whole graph: every row equals OpenCV's resize of the
/// decoded file to torchvision's intermediate size followed by the centred crop, pixel for pixel.
/// </summary>
[TestClass]
public sealed class ShorterSideThenCenterCropTests
{
    [TestMethod]
    [DataRow(ColorMode.Rgb)]
    [DataRow(ColorMode.Bgr)]
    public async Task Run_FilesOfEveryShape_EqualOpenCvResizeThenCrop(ColorMode color)
    {
        using var data = new TempDataset();
        string[] paths =
        [
            data.AddImage("a", "landscape.png", 75, 50, seed: 1),
            data.AddImage("a", "portrait.jpg", 41, 67, seed: 2),
            data.AddImage("b", "square.png", 36, 36, seed: 3),
            data.AddImage("b", "small.jpg", 20, 13, seed: 4),
        ];
        var options = new PipelineOptions
        {
            Width = 28,
            Height = 28,
            ColorMode = color,
            ResizeMode = ResizeMode.ShorterSideThenCenterCrop,
            ReducedDecode = false,
            BatchSize = 4,
            Shuffle = false,
            ShuffleWithinBatch = false,
        };

        (List<SeenBatch> batches, _) = await PipelineRunner.RunAsync(options, data.Root);

        SeenBatch batch = batches.Single();
        foreach (string path in paths)
        {
            using Mat source = Cv2.ImRead(path, ImreadModes.Color);
            // S = floor(28 / 0.875) = 32.
            using Mat expected = ReferenceImages.ResizeShorterSideThenCenterCrop(source, 32, source.Size(), 28, 28, InterpolationFlags.Linear);
            if (color == ColorMode.Bgr)
            {
                Cv2.CvtColor(expected, expected, ColorConversionCodes.RGB2BGR);
            }

            using Mat got = Row(batch, path, 28, 28);
            Assert.AreEqual(0, Pixels.MaxDifference(expected, got), path);
        }
    }

    [TestMethod]
    public async Task Run_LargeJpegWithReducedDecode_ReducedOnlyAsFarAsTheIntermediateIsCovered()
    {
        using var data = new TempDataset();
        string path = data.AddImage("a", "big.jpg", 1200, 900, seed: 5);
        data.AddImage("b", "other.png", 40, 30, seed: 6);
        var options = new PipelineOptions
        {
            Width = 112,
            Height = 112,
            ResizeMode = ResizeMode.ShorterSideThenCenterCrop,
            BatchSize = 2,
            Shuffle = false,
            ShuffleWithinBatch = false,
        };

        (List<SeenBatch> batches, _) = await PipelineRunner.RunAsync(options, data.Root);

        // S = 128: the intermediate of the full 1200×900 image is 170×128. A 1/8 decode (150×113) would not cover
        // it, a 1/4 decode (300×225) does: the row is OpenCV's 1/4 decode resized to 170×128 and cropped.
        using Mat reduced = Cv2.ImRead(path, ImreadModes.ReducedColor4);
        using Mat expected = ReferenceImages.ResizeShorterSideThenCenterCrop(reduced, 128, new Size(1200, 900), 112, 112, InterpolationFlags.Linear);
        using Mat got = Row(batches.Single(), path, 112, 112);
        Assert.AreEqual(0, Pixels.MaxDifference(expected, got));
    }

    private static Mat Row(SeenBatch batch, string path, int width, int height)
    {
        int row = Array.IndexOf(batch.Paths, path);
        Assert.IsGreaterThanOrEqualTo(0, row, $"'{path}' is not in the batch");
        int length = batch.Data.Length / batch.Labels.Length;
        return Pixels.FromRow(batch.Data.AsSpan(row * length, length).ToArray(), width, height);
    }
}
