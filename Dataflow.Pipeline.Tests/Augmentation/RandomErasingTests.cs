using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomErasingTests
{
    [TestMethod]
    public void Apply_POne_FillsOneRectangleOfAllowedAreaAndAspectAndNothingElse()
    {
        using Mat pattern = Source(64, 48);
        using var source = new Mat();
        pattern.ConvertTo(source, -1, 0.5, 10); // values 10 to 138: the fill 255 cannot occur in the source
        var regions = new HashSet<Rect>();
        for (int seed = 0; seed < 30; seed++)
        {
            using Mat result = Run(new RandomErasing(p: 1, scale: (0.05, 0.2), ratio: (0.5, 2), fill: 255), source, seed);
            using var filled = new Mat();
            Cv2.InRange(result, Scalar.All(255), Scalar.All(255), filled);
            Rect box = Cv2.BoundingRect(filled);
            Assert.AreEqual(box.Width * box.Height, Cv2.CountNonZero(filled), $"seed {seed}: the erased pixels form a filled rectangle");
            double area = (double)box.Width * box.Height / (64 * 48);
            Assert.IsInRange(0.05 * 0.9, 0.2 * 1.1, area, $"seed {seed}: area fraction");
            Assert.IsInRange(0.5 * 0.85, 2 * 1.15, (double)box.Height / box.Width, $"seed {seed}: height / width");
            using var restored = result.Clone();
            using (var hole = new Mat(restored, box))
            using (var original = new Mat(source, box))
            {
                original.CopyTo(hole);
            }

            AreSame(source, restored, $"seed {seed}: everything outside the rectangle is untouched");
            regions.Add(box);
        }

        Assert.IsGreaterThan(20, regions.Count, "distinct rectangles in 30 seeds");
    }

    [TestMethod]
    [DataRow(0.16, 4.0, 6, 26)]    // area 0.16·1024 = 163.84: h = round(√(163.84·4)) = round(25.6) = 26, w = round(√(163.84/4)) = round(6.4) = 6
    [DataRow(0.16, 0.25, 26, 6)]   // the inverse ratio: the same box lying down
    [DataRow(0.5, 1.0, 23, 23)]    // area 512: h = w = round(22.63) = 23
    public async Task Run_FixedScaleAndRatio_EveryRowHasTorchvisionsBoxOfFill(double scale, double ratio, int width, int height)
    {
        List<SeenBatch> batches = await RunOnGrey(new RandomErasing(p: 1, scale: (scale, scale), ratio: (ratio, ratio), fill: 0));
        foreach (SeenBatch batch in batches)
        {
            for (int row = 0; row < batch.Labels.Length; row++)
            {
                using Mat image = RowAsImage(batch, row);
                using var filled = new Mat();
                Cv2.InRange(image, Scalar.All(0), Scalar.All(0), filled);
                Rect box = Cv2.BoundingRect(filled);
                Assert.AreEqual((width, height), (box.Width, box.Height), $"{batch.Paths[row]}: the erased box (width, height)");
                Assert.AreEqual(width * height, Cv2.CountNonZero(filled), $"{batch.Paths[row]}: the erased pixels fill the box");
                Assert.AreEqual(32 * 32 - width * height, Cv2.CountNonZero(image), $"{batch.Paths[row]}: the rest keeps its grey");
            }
        }
    }

    [TestMethod]
    [DataRow(1.0, 1.0)]   // h = w = 32: the whole image
    [DataRow(0.25, 4.0)]  // h = round(√(256·4)) = 32, w = 8: a box as tall as the image
    [DataRow(0.25, 0.25)] // w = 32, h = 8: a box as wide as the image
    public async Task Run_BoxAsLargeAsTheImageOnOneSide_NothingErased(double scale, double ratio)
    {
        // torchvision takes only boxes strictly smaller than the image on both sides; after 10 such tries it erases nothing.
        List<SeenBatch> batches = await RunOnGrey(new RandomErasing(p: 1, scale: (scale, scale), ratio: (ratio, ratio), fill: 0));
        foreach (SeenBatch batch in batches)
        {
            for (int row = 0; row < batch.Labels.Length; row++)
            {
                using Mat image = RowAsImage(batch, row);
                Assert.AreEqual(32 * 32, Cv2.CountNonZero(image), $"{batch.Paths[row]}: no pixel erased");
            }
        }
    }

    /// <summary>Eight 32×32 images of grey 200, grey, through the graph with <paramref name="erasing"/>.</summary>
    private static async Task<List<SeenBatch>> RunOnGrey(RandomErasing erasing)
    {
        using var data = new TempDataset();
        using var grey = new Mat(32, 32, MatType.CV_8UC1, Scalar.All(200));
        for (int i = 0; i < 8; i++)
        {
            data.Write("a", $"grey{i}.png", grey);
        }

        var options = new PipelineOptions
        {
            Width = 32, Height = 32, BatchSize = 4, Epochs = 1, ColorMode = Dataflow.Pipeline.Decoding.ColorMode.Grayscale, Augmentations = [erasing],
        };
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);
        Assert.AreEqual(8, batches.Sum(b => b.Labels.Length));
        return batches;
    }

    /// <summary>Row <paramref name="row"/> of a grey batch as an 8-bit image (values 0 to 255 again).</summary>
    private static Mat RowAsImage(SeenBatch batch, int row)
    {
        var image = new Mat(32, 32, MatType.CV_8UC1);
        for (int i = 0; i < 32 * 32; i++)
        {
            image.Set(i / 32, i % 32, (byte)Math.Round(batch.Data[row * 32 * 32 + i] * 255));
        }

        return image;
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new RandomErasing(p: 0));

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomErasing(p: 1));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandomErasing(scale: (0.5, 1.5)), "scale", "Parameter \"scale\" must be a range (low, high) with 0 < low <= high <= 1, was (0.5, 1.5).");
        Rejects<ArgumentOutOfRangeException>(() => new RandomErasing(fill: 300), "fill", "Parameter \"fill\" must be at least 0 and at most 255, was 300.");
    }

    [TestMethod]
    public void ToString_ListsParameters() => Assert.AreEqual("RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), fill=0)", new RandomErasing().ToString());
}
