using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomAffineTests
{
    [TestMethod]
    public void Apply_NoRanges_Identity()
    {
        using Mat source = Source();
        using Mat result = Run(new RandomAffine(), source);
        AreSame(source, result);
    }

    [TestMethod]
    public void Apply_TranslateOnly_IsAnIntegerShiftWithinRangeFilledBehind()
    {
        using Mat source = Source(40, 20);
        var shifts = new HashSet<int>();
        for (int seed = 0; seed < 30; seed++)
        {
            using Mat result = Run(new RandomAffine(translate: (0.25, 0), fill: 255, interpolation: Interpolation.Nearest), source, seed);
            int shift = FindShift(source, result, 10);
            shifts.Add(shift);
        }

        Assert.IsGreaterThan(5, shifts.Count, "distinct shifts in 30 seeds");
    }

    [TestMethod]
    public void Apply_ScaleTwo_MagnifiesAboutTheCentre()
    {
        // A centred 3×3 white square on black becomes a centred 6×6-ish square: the centre stays, a pixel
        // 2 away from the centre is now inside, one 4 away is still outside.
        using var source = new Mat(21, 21, MatType.CV_8UC1, Scalar.All(0));
        using (var square = new Mat(source, new Rect(9, 9, 3, 3)))
        {
            square.SetTo(Scalar.All(255));
        }

        using Mat result = Run(new RandomAffine(scale: (2, 2), interpolation: Interpolation.Nearest), source);
        Assert.AreEqual((byte)255, result.At<byte>(10, 10));
        Assert.AreEqual((byte)255, result.At<byte>(10, 12));
        Assert.AreEqual((byte)0, result.At<byte>(10, 14));
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new RandomAffine(degrees: (-20, 20), translate: (0.1, 0.1), scale: (0.8, 1.2), shear: (-10, 10), p: 0));

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomAffine(degrees: (-20, 20), shear: (-10, 10)));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandomAffine(translate: (1.5, 0)), "translate.X", "Parameter \"translate.X\" must be at least 0 and at most 1, was 1.5.");
        Rejects<ArgumentOutOfRangeException>(() => new RandomAffine(scale: (0, 1)), "scale",
            "Parameter \"scale\" must be a range (low, high) with 0 < low <= high <= 10, was (0, 1).");
        Rejects<ArgumentOutOfRangeException>(() => new RandomAffine(shear: (-90, 0)), "shear",
            "Parameter \"shear\" must be a range (low, high) with -89 <= low <= high <= 89, was (-90, 0).");
    }

    [TestMethod]
    public void ToString_ListsParameters() =>
        Assert.AreEqual("RandomAffine(degrees=(-5, 5), translate=(0.1, 0.2), scale=(1, 1), shear=(0, 0), shearY=(0, 0), fill=0, interpolation=Bilinear, p=1)",
            new RandomAffine(degrees: (-5, 5), translate: (0.1, 0.2)).ToString());

    /// <summary>The horizontal shift in [-max, max] that maps source onto result, the uncovered columns being 255.</summary>
    private static int FindShift(Mat source, Mat result, int max)
    {
        int w = source.Width, h = source.Height;
        for (int t = -max; t <= max; t++)
        {
            using Mat expected = new(h, w, source.Type(), Scalar.All(255));
            int width = w - Math.Abs(t);
            using (var from = new Mat(source, new Rect(Math.Max(0, -t), 0, width, h)))
            using (var to = new Mat(expected, new Rect(Math.Max(0, t), 0, width, h)))
            {
                from.CopyTo(to);
            }

            if (Same(expected, result))
            {
                return t;
            }
        }

        Assert.Fail($"the result is no horizontal shift of the source by at most {max} pixels");
        return 0;
    }
}
