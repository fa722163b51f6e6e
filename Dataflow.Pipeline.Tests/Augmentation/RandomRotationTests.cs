using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomRotationTests
{
    [TestMethod]
    public void Apply_ZeroDegrees_Identity()
    {
        using Mat source = Source();
        for (int seed = 0; seed < 10; seed++)
        {
            using Mat result = Run(new RandomRotation(0), source, seed);
            AreSame(source, result, $"seed {seed}");
        }
    }

    [TestMethod]
    [DataRow(90.0, RotateFlags.Rotate90Counterclockwise)]
    [DataRow(-90.0, RotateFlags.Rotate90Clockwise)]
    [DataRow(180.0, RotateFlags.Rotate180)]
    public void Apply_QuarterTurnsOfASquare_EqualOpenCvRotate(double degrees, RotateFlags flags)
    {
        using Mat source = Source(24, 24);
        using var expected = new Mat();
        Cv2.Rotate(source, expected, flags);
        using Mat result = Run(new RandomRotation((degrees, degrees), interpolation: Interpolation.Nearest), source);
        AreSame(expected, result);
    }

    [TestMethod]
    public void Apply_FortyFiveDegrees_KeepsSizeFillsCornersAndKeepsCentre()
    {
        using var source = new Mat(31, 31, MatType.CV_8UC3, Scalar.All(10));
        using Mat result = Run(new RandomRotation((45, 45), fill: 200), source);
        Assert.AreEqual(source.Size(), result.Size());
        Assert.AreEqual(new Vec3b(200, 200, 200), result.At<Vec3b>(0, 0), "corner");
        Assert.AreEqual(new Vec3b(10, 10, 10), result.At<Vec3b>(15, 15), "centre");
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new RandomRotation(30, p: 0));

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomRotation(30));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandomRotation(200), "degrees", "Parameter \"degrees\" must be at least 0 and at most 180, was 200.");
        Rejects<ArgumentOutOfRangeException>(() => new RandomRotation((10, -10)), "degrees",
            "Parameter \"degrees\" must be a range (low, high) with -360 <= low <= high <= 360, was (10, -10).");
        Rejects<ArgumentOutOfRangeException>(() => new RandomRotation(10, fill: -1), "fill", "Parameter \"fill\" must be at least 0 and at most 255, was -1.");
    }

    [TestMethod]
    public void ToString_ListsParameters() =>
        Assert.AreEqual("RandomRotation(degrees=(-15, 15), fill=0, interpolation=Bilinear, p=1)", new RandomRotation(15).ToString());
}
