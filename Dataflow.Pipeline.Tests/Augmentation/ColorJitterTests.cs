using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class ColorJitterTests
{
    [TestMethod]
    public void Apply_Brightness_ScalesEveryValueByAFactorWithinRange()
    {
        using var source = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(100));
        var values = new HashSet<double>();
        for (int seed = 0; seed < 50; seed++)
        {
            using Mat result = Run(new ColorJitter(brightness: 0.5), source, seed);
            Cv2.MinMaxLoc(result.Reshape(1), out double min, out double max);
            Assert.AreEqual(min, max, $"seed {seed}: a uniform image stays uniform");
            Assert.IsInRange(50.0, 150.0, min, $"seed {seed}");
            values.Add(min);
        }

        Assert.IsGreaterThan(20, values.Count, "distinct brightness levels in 50 seeds");
    }

    [TestMethod]
    public void Apply_Contrast_ScalesDistanceFromTheMeanWithinRange()
    {
        // Two halves, 60 and 140: the mean luma is 100, each half lies 40 away; a factor in [0.5, 1.5] puts it 20 to 60 away.
        using var source = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(60));
        using (var half = new Mat(source, new Rect(0, 0, 8, 4)))
        {
            half.SetTo(Scalar.All(140));
        }

        for (int seed = 0; seed < 30; seed++)
        {
            using Mat result = Run(new ColorJitter(contrast: 0.5), source, seed);
            double high = result.At<Vec3b>(0, 0).Item0 - 100.0, low = 100.0 - result.At<Vec3b>(7, 0).Item0;
            Assert.IsInRange(19.5, 60.5, high, $"seed {seed}");
            Assert.AreEqual(high, low, 1.0, $"seed {seed}: both halves move symmetrically about the mean");
        }
    }

    [TestMethod]
    public void Apply_SaturationAndHue_LeaveGrayPixelsGray()
    {
        using var source = new Mat(6, 6, MatType.CV_8UC3, Scalar.All(90));
        for (int seed = 0; seed < 20; seed++)
        {
            using Mat result = Run(new ColorJitter(saturation: 1, hue: 0.5), source, seed);
            AreSame(source, result, $"seed {seed}");
        }
    }

    [TestMethod]
    public void Apply_Saturation_KeepsLumaAndChangesChroma()
    {
        using var source = new Mat(4, 4, MatType.CV_8UC3, new Scalar(100, 120, 150));
        double luma = 0.114 * 100 + 0.587 * 120 + 0.299 * 150;
        bool changed = false;
        for (int seed = 0; seed < 20; seed++)
        {
            using Mat result = Run(new ColorJitter(saturation: 0.9), source, seed);
            Vec3b px = result.At<Vec3b>(1, 1);
            Assert.AreEqual(luma, 0.114 * px.Item0 + 0.587 * px.Item1 + 0.299 * px.Item2, 1.5, $"seed {seed}: luma");
            changed |= px != new Vec3b(100, 120, 150);
        }

        Assert.IsTrue(changed, "no seed changed the colour");
    }

    [TestMethod]
    public void Apply_Hue_ShiftsHueWithinRangeOnly()
    {
        using var source = new Mat(4, 4, MatType.CV_8UC3, new Scalar(40, 200, 90));
        byte[] before = Hsv(source);
        var shifts = new HashSet<int>();
        for (int seed = 0; seed < 30; seed++)
        {
            using Mat result = Run(new ColorJitter(hue: 0.1), source, seed);
            byte[] after = Hsv(result);
            int shift = (after[0] - before[0] + 384) % 256 - 128;
            Assert.IsInRange(-27, 27, shift, $"seed {seed}: hue shift in 1/256 turns");
            Assert.AreEqual(before[2], after[2], 2.0, $"seed {seed}: value");
            shifts.Add(shift);
        }

        Assert.IsGreaterThan(10, shifts.Count, "distinct hue shifts in 30 seeds");
    }

    [TestMethod]
    public void Apply_AllZero_Identity()
    {
        using Mat source = Source();
        using Mat result = Run(new ColorJitter(), source);
        AreSame(source, result);
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new ColorJitter(0.4, 0.4, 0.4, 0.1, p: 0));

    [TestMethod]
    public void Apply_OneChannel_BrightnessAndContrastOnly()
    {
        using var source = new Mat(8, 8, MatType.CV_8UC1, Scalar.All(100));
        using Mat result = Run(new ColorJitter(0.5, 0.5, 0.5, 0.2), source, 3);
        Assert.AreEqual(1, result.Channels());
        Assert.IsInRange(50.0, 150.0, Cv2.Mean(result).Val0);
    }

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new ColorJitter(0.4, 0.4, 0.4, 0.1));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new ColorJitter(brightness: -0.1), "brightness", "Parameter \"brightness\" must be at least 0 and at most 100, was -0.1.");
        Rejects<ArgumentOutOfRangeException>(() => new ColorJitter(hue: 0.6), "hue", "Parameter \"hue\" must be at least 0 and at most 0.5, was 0.6.");
        Rejects<ArgumentOutOfRangeException>(() => new ColorJitter(saturation: double.NaN), "saturation", "Parameter \"saturation\" must be at least 0 and at most 100, was NaN.");
    }

    [TestMethod]
    public void ToString_ListsParameters() =>
        Assert.AreEqual("ColorJitter(brightness=0.4, contrast=0.4, saturation=0, hue=0.05, p=1)", new ColorJitter(0.4, 0.4, hue: 0.05).ToString());

    private static byte[] Hsv(Mat bgr)
    {
        using var hsv = new Mat();
        Cv2.CvtColor(bgr, hsv, ColorConversionCodes.BGR2HSV_FULL);
        Vec3b px = hsv.At<Vec3b>(0, 0);
        return [px.Item0, px.Item1, px.Item2];
    }
}
