using Dataflow.Pipeline.Augmentation;
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
            Assert.IsInRange(0.5 * 0.85, 2 * 1.15, (double)box.Width / box.Height, $"seed {seed}: aspect");
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
