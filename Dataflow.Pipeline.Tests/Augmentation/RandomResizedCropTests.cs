using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomResizedCropTests
{
    [TestMethod]
    public void SelectRegion_ManySeeds_InsideSourceWithAreaAndAspectInRange()
    {
        var crop = new RandomResizedCrop(scale: (0.2, 0.6), ratio: (0.5, 2.0));
        var source = new Size(640, 480);
        var regions = new HashSet<Rect>();
        for (int seed = 0; seed < 300; seed++)
        {
            Rect r = crop.SelectRegion(source, new Size(64, 64), Context(seed));
            Assert.IsTrue(r.X >= 0 && r.Y >= 0 && r.Width > 0 && r.Height > 0 && r.Right <= source.Width && r.Bottom <= source.Height, $"{r} outside {source}");
            double area = (double)r.Width * r.Height / (source.Width * source.Height);
            Assert.IsTrue(area > 0.2 * 0.99 && area < 0.6 * 1.01, $"area fraction {area} of {r}");
            double aspect = (double)r.Width / r.Height;
            Assert.IsTrue(aspect > 0.5 * 0.99 && aspect < 2.0 * 1.01, $"aspect {aspect} of {r}");
            regions.Add(r);
        }

        Assert.IsGreaterThan(250, regions.Count, "distinct regions in 300 seeds");
    }

    [TestMethod]
    public void SelectRegion_NothingFits_FallsBackToCentredRegionOfNearestRatio()
    {
        // On a square image no region of area 1 has an aspect ratio of 2 to 3: the fallback trims to ratio 2.
        var crop = new RandomResizedCrop(scale: (1, 1), ratio: (2, 3));
        Rect r = crop.SelectRegion(new Size(100, 100), new Size(10, 10), Context(5));
        Assert.AreEqual(new Rect(0, 25, 100, 50), r);
    }

    [TestMethod]
    public void Apply_EqualsTheSelectedRegionResizedToTheImageSize()
    {
        using Mat source = Source(64, 48);
        var crop = new RandomResizedCrop();
        for (int seed = 0; seed < 10; seed++)
        {
            Rect region = crop.SelectRegion(source.Size(), source.Size(), Context(seed));
            using var view = new Mat(source, region);
            using var expected = new Mat();
            Cv2.Resize(view, expected, source.Size(), 0, 0, InterpolationFlags.Linear);
            using Mat result = Run(crop, source, seed);
            AreSame(expected, result, $"seed {seed}, region {region}");
        }
    }

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomResizedCrop());

    [TestMethod]
    public void Constructor_InvalidRanges_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandomResizedCrop(scale: (0.5, 0.2)), "scale",
            "Parameter \"scale\" must be a range (low, high) with 0 < low <= high <= 1, was (0.5, 0.2).");
        Rejects<ArgumentOutOfRangeException>(() => new RandomResizedCrop(scale: (0, 1)), "scale",
            "Parameter \"scale\" must be a range (low, high) with 0 < low <= high <= 1, was (0, 1).");
        Rejects<ArgumentOutOfRangeException>(() => new RandomResizedCrop(ratio: (0.001, 1)), "ratio",
            "Parameter \"ratio\" must be a range (low, high) with 0.01 <= low <= high <= 100, was (0.001, 1).");
    }

    [TestMethod]
    public void ToString_ListsRanges() =>
        Assert.AreEqual("RandomResizedCrop(scale=(0.08, 1), ratio=(0.75, 1.333))", new RandomResizedCrop().ToString());
}
