using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>Each operation of the automatic policies checked for its defining property on real pixels.</summary>
[TestClass]
public sealed class PolicyOpsTests
{
    private static Mat Op(Mat source, PolicyOperation op, double magnitude, ColorMode colorMode = ColorMode.Bgr,
        InterpolationFlags interpolation = InterpolationFlags.Nearest, double fill = 0)
    {
        Mat input = source.Clone();
        Mat result = PolicyOps.Apply(input, op, magnitude, interpolation, fill, new AugmentationContext(0, 0, 0, colorMode));
        if (!ReferenceEquals(result, input))
        {
            input.Dispose();
        }

        return result;
    }

    /// <summary>Asserts out(x, y) = in(map(x, y)) where the map lands inside the image, and the fill elsewhere.</summary>
    private static void AssertMoved(Mat source, Mat result, Func<int, int, (int X, int Y)> from, byte fill, string message)
    {
        Assert.AreEqual(source.Size(), result.Size());
        int covered = 0, width = source.Width, height = source.Height;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (int sx, int sy) = from(x, y);
                bool inside = sx >= 0 && sx < width && sy >= 0 && sy < height;
                Vec3b expected = inside ? source.At<Vec3b>(sy, sx) : new Vec3b(fill, fill, fill);
                covered += inside ? 1 : 0;
                Assert.AreEqual(expected, result.At<Vec3b>(y, x), $"{message}: pixel ({x}, {y}) from ({sx}, {sy})");
            }
        }

        Assert.IsGreaterThan(0, covered, message + ": some pixels come from the image");
    }

    /// <summary>Asserts that every value of <paramref name="result"/> is <paramref name="expected"/> of the same value of <paramref name="source"/>.</summary>
    private static void AssertEveryValue(Mat source, Mat result, Func<byte, double> expected, double tolerance = 0)
    {
        byte[] before = ReferenceImages.Bytes(source), after = ReferenceImages.Bytes(result);
        Assert.HasCount(before.Length, after);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.AreEqual(expected(before[i]), after[i], tolerance, $"value {i} (was {before[i]})");
        }
    }

    [TestMethod]
    public void Identity_LeavesEveryPixel()
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Identity, 0);
        AreSame(source, result);
    }

    [TestMethod]
    [DataRow(2.0)]
    [DataRow(-2.0)]
    public void ShearX_ShiftsEachRowByMTimesItsDistanceFromTheTopEdge(double m)
    {
        // x' = x − m·(y + ½): with m = ±2 every row moves by a whole number of pixels, so bilinear sampling is exact.
        using Mat source = Source(40, 12);
        using Mat result = Op(source, PolicyOperation.ShearX, m, interpolation: InterpolationFlags.Linear, fill: 9);
        AssertMoved(source, result, (x, y) => (x + (int)(m * (2 * y + 1) / 2), y), 9, $"shear x {m}");
    }

    [TestMethod]
    [DataRow(2.0)]
    [DataRow(-2.0)]
    public void ShearY_ShiftsEachColumnByMTimesItsDistanceFromTheLeftEdge(double m)
    {
        using Mat source = Source(12, 40);
        using Mat result = Op(source, PolicyOperation.ShearY, m, interpolation: InterpolationFlags.Linear, fill: 9);
        AssertMoved(source, result, (x, y) => (x, y + (int)(m * (2 * x + 1) / 2)), 9, $"shear y {m}");
    }

    [TestMethod]
    [DataRow(5.7, 5)]
    [DataRow(-3.9, -3)]
    public void TranslateX_MovesByTheWholePixelsOfTheMagnitude(double m, int pixels)
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.TranslateX, m, fill: 77);
        AssertMoved(source, result, (x, y) => (x - pixels, y), 77, $"translate x {m}");
    }

    [TestMethod]
    [DataRow(4.2, 4)]
    [DataRow(-6.99, -6)]
    public void TranslateY_MovesByTheWholePixelsOfTheMagnitude(double m, int pixels)
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.TranslateY, m, fill: 77);
        AssertMoved(source, result, (x, y) => (x, y - pixels), 77, $"translate y {m}");
    }

    [TestMethod]
    [DataRow(90.0, RotateFlags.Rotate90Counterclockwise)]
    [DataRow(-90.0, RotateFlags.Rotate90Clockwise)]
    [DataRow(180.0, RotateFlags.Rotate180)]
    public void Rotate_QuarterTurnsOfASquare_CounterClockwiseAboutTheCentre(double m, RotateFlags flags)
    {
        using Mat source = Source(24, 24);
        using var expected = new Mat();
        Cv2.Rotate(source, expected, flags);
        using Mat result = Op(source, PolicyOperation.Rotate, m);
        AreSame(expected, result);
    }

    [TestMethod]
    [DataRow(-0.5)]
    [DataRow(0.6)]
    public void Brightness_ScalesEveryValueByOnePlusM(double m)
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Brightness, m);
        AssertEveryValue(source, result, v => Math.Min(255, v * (1 + m)), tolerance: 0.5);
    }

    [TestMethod]
    [DataRow(ColorMode.Bgr)]
    [DataRow(ColorMode.Rgb)]
    public void Color_AtMinusOne_GivesTheLumaOfTheDeclaredChannelOrder(ColorMode colorMode)
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Color, -1, colorMode);
        using var gray = new Mat();
        Cv2.CvtColor(source, gray, colorMode == ColorMode.Bgr ? ColorConversionCodes.BGR2GRAY : ColorConversionCodes.RGB2GRAY);
        using var expected = new Mat();
        Cv2.CvtColor(gray, expected, ColorConversionCodes.GRAY2BGR);
        AreSame(expected, result, colorMode.ToString());
    }

    [TestMethod]
    public void Color_LeavesGrayPixelsAndOneChannelImages()
    {
        using var gray3 = new Mat(6, 6, MatType.CV_8UC3, Scalar.All(90));
        using Mat result = Op(gray3, PolicyOperation.Color, 0.9);
        AreSame(gray3, result);
        using var single = new Mat(6, 6, MatType.CV_8UC1, Scalar.All(40));
        single.Set(2, 2, (byte)200);
        using Mat alone = Op(single, PolicyOperation.Color, -0.9);
        AreSame(single, alone);
    }

    [TestMethod]
    public void Contrast_AtMinusOne_GivesTheMeanLumaEverywhere()
    {
        using Mat source = Source();
        using var gray = new Mat();
        Cv2.CvtColor(source, gray, ColorConversionCodes.BGR2GRAY);
        double mean = Cv2.Mean(gray).Val0;
        using Mat result = Op(source, PolicyOperation.Contrast, -1);
        Cv2.MinMaxLoc(result.Reshape(1), out double min, out double max);
        Assert.AreEqual(Math.Round(mean), min);
        Assert.AreEqual(min, max);
    }

    [TestMethod]
    public void Contrast_ScalesDistanceFromTheMeanLuma()
    {
        // Two halves, 60 and 140: the mean luma is 100; a factor of 1.5 puts them 60 away from it.
        using var source = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(60));
        using (var half = new Mat(source, new Rect(0, 0, 8, 4)))
        {
            half.SetTo(Scalar.All(140));
        }

        using Mat result = Op(source, PolicyOperation.Contrast, 0.5);
        Assert.AreEqual(new Vec3b(160, 160, 160), result.At<Vec3b>(0, 0));
        Assert.AreEqual(new Vec3b(40, 40, 40), result.At<Vec3b>(7, 0));
    }

    [TestMethod]
    public void Sharpness_AtMinusOne_GivesTheSmoothedInteriorAndKeepsTheBorder()
    {
        using Mat source = Source(20, 16);
        using Mat result = Op(source, PolicyOperation.Sharpness, -1);
        int width = source.Width, height = source.Height;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                Vec3b actual = result.At<Vec3b>(y, x);
                for (int c = 0; c < 3; c++)
                {
                    double expected = source.At<Vec3b>(y, x)[c];
                    if (x > 0 && y > 0 && x < width - 1 && y < height - 1)
                    {
                        double sum = 4 * expected;
                        for (int dy = -1; dy <= 1; dy++)
                        {
                            for (int dx = -1; dx <= 1; dx++)
                            {
                                sum += source.At<Vec3b>(y + dy, x + dx)[c];
                            }
                        }

                        expected = Math.Round(sum / 13);
                    }

                    Assert.AreEqual(expected, actual[c], $"pixel ({x}, {y}) channel {c}");
                }
            }
        }
    }

    [TestMethod]
    public void Sharpness_Positive_MovesAwayFromTheSmoothedImage()
    {
        using Mat source = Source(20, 16);
        using Mat smooth = Op(source, PolicyOperation.Sharpness, -1);
        using Mat sharp = Op(source, PolicyOperation.Sharpness, 0.9);
        using Mat same = Op(source, PolicyOperation.Sharpness, 0);
        AreSame(source, same, "factor 1");
        // sharp = 1.9·source − 0.9·smooth: away from the smoothed image on the side of the source, where not saturated.
        Vec3b s = source.At<Vec3b>(8, 8), m = smooth.At<Vec3b>(8, 8), r = sharp.At<Vec3b>(8, 8);
        for (int c = 0; c < 3; c++)
        {
            double expected = Math.Clamp(1.9 * s[c] - 0.9 * m[c], 0, 255);
            Assert.AreEqual(expected, r[c], 1.0, $"channel {c}");
        }
    }

    [TestMethod]
    [DataRow(3)]
    [DataRow(6)]
    [DataRow(0)]
    public void Posterize_KeepsTheHighestBits(int bits)
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Posterize, bits);
        int mask = 0xFF & (0xFF << (8 - bits));
        AssertEveryValue(source, result, v => v & mask);
    }

    [TestMethod]
    public void Posterize_EightBits_Identity()
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Posterize, 8);
        AreSame(source, result);
    }

    [TestMethod]
    [DataRow(128.0)]
    [DataRow(178.5)]
    [DataRow(0.0)]
    [DataRow(255.0)]
    public void Solarize_InvertsValuesAtOrAboveTheThreshold(double threshold)
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Solarize, threshold);
        AssertEveryValue(source, result, v => v >= threshold ? 255 - v : v);
    }

    [TestMethod]
    public void AutoContrast_StretchesEachChannelToTheFullRangeKeepingOrder()
    {
        using Mat source = Source();
        using Mat low = new();
        source.ConvertTo(low, -1, 0.4, 60);
        using Mat result = Op(low, PolicyOperation.AutoContrast, 0);
        Mat[] before = Cv2.Split(low), after = Cv2.Split(result);
        try
        {
            for (int c = 0; c < 3; c++)
            {
                Cv2.MinMaxLoc(before[c], out double bMin, out double bMax);
                Cv2.MinMaxLoc(after[c], out double aMin, out double aMax);
                Assert.AreEqual(0.0, aMin, $"channel {c} darkest");
                Assert.AreEqual(255.0, aMax, $"channel {c} brightest");
                byte[] b = ReferenceImages.Bytes(before[c]), a = ReferenceImages.Bytes(after[c]);
                for (int i = 0; i < b.Length; i++)
                {
                    Assert.AreEqual((b[i] - bMin) * 255 / (bMax - bMin), a[i], 0.5, $"channel {c} value {i}");
                }
            }
        }
        finally
        {
            Array.ForEach(before, m => m.Dispose());
            Array.ForEach(after, m => m.Dispose());
        }
    }

    [TestMethod]
    public void AutoContrast_UniformChannel_Unchanged()
    {
        using var source = new Mat(5, 5, MatType.CV_8UC3, new Scalar(30, 30, 30));
        using Mat result = Op(source, PolicyOperation.AutoContrast, 0);
        AreSame(source, result);
    }

    [TestMethod]
    public void Equalize_EachChannel_TorchvisionsTableOfItsOwnHistogram()
    {
        // 32×32, three channels with histograms worked by hand: four equal quarters; two dark values under a clipped white;
        // half the image black.
        using var source = new Mat(32, 32, MatType.CV_8UC3);
        for (int i = 0; i < 1024; i++)
        {
            byte b = (byte)(i < 256 ? 10 : i < 512 ? 50 : i < 768 ? 100 : 200);
            byte g = (byte)(i < 300 ? 20 : i < 600 ? 60 : 255);
            byte r = (byte)(i < 500 ? 0 : i < 700 ? 10 : i < 900 ? 50 : 200);
            source.Set(i / 32, i % 32, new Vec3b(b, g, r));
        }

        using Mat result = Op(source, PolicyOperation.Equalize, 0);
        Dictionary<byte, byte>[] expected =
        [
            new() { [10] = 0, [50] = 85, [100] = 171, [200] = 255 },   // step ⌊768/255⌋ = 3: ⌊(0+1)/3⌋, ⌊257/3⌋, ⌊513/3⌋, min(255, ⌊769/3⌋)
            new() { [20] = 0, [60] = 150, [255] = 255 },               // step ⌊600/255⌋ = 2: ⌊1/2⌋, ⌊301/2⌋, min(255, ⌊601/2⌋)
            new() { [0] = 0, [10] = 167, [50] = 233, [200] = 255 },    // step ⌊900/255⌋ = 3: ⌊1/3⌋, ⌊501/3⌋, ⌊701/3⌋, min(255, ⌊901/3⌋)
        ];
        for (int i = 0; i < 1024; i++)
        {
            Vec3b before = source.At<Vec3b>(i / 32, i % 32), after = result.At<Vec3b>(i / 32, i % 32);
            for (int c = 0; c < 3; c++)
            {
                Assert.AreEqual(expected[c][before[c]], after[c], $"pixel {i}, channel {c} (was {before[c]})");
            }
        }
    }

    [TestMethod]
    public void Equalize_FewerThan255PixelsBelowTheHighestValue_Unchanged()
    {
        // 16×16 in four values of 64: 192 pixels below the highest, so torchvision's step ⌊192/255⌋ is 0 and it leaves the image.
        using var source = new Mat(16, 16, MatType.CV_8UC1);
        for (int i = 0; i < 256; i++)
        {
            source.Set(i / 16, i % 16, (byte)(i < 64 ? 10 : i < 128 ? 50 : i < 192 ? 100 : 200));
        }

        using Mat result = Op(source, PolicyOperation.Equalize, 0);
        AreSame(source, result);
    }

    [TestMethod]
    public void Invert_Gives255MinusEveryValue()
    {
        using Mat source = Source();
        using Mat result = Op(source, PolicyOperation.Invert, 0);
        AssertEveryValue(source, result, v => 255 - v);
    }

    [TestMethod]
    public void EveryOperation_OneChannelImage_KeepsSizeAndType()
    {
        using Mat source = Source();
        using var gray = new Mat();
        Cv2.CvtColor(source, gray, ColorConversionCodes.BGR2GRAY);
        foreach (PolicyOperation op in Enum.GetValues<PolicyOperation>())
        {
            using Mat result = Op(gray, op, op == PolicyOperation.Posterize ? 4 : 0.5);
            Assert.AreEqual(gray.Size(), result.Size(), op.ToString());
            Assert.AreEqual(MatType.CV_8UC1, result.Type(), op.ToString());
        }
    }

    [TestMethod]
    public void Magnitude_RandAugmentSpace_MatchesTorchvisionBins()
    {
        var size = new Size(331, 662);
        // Bin 9 of 31, RandAugment's default: the fraction 9/30 of each range.
        Assert.AreEqual(0.09, PolicyOps.Magnitude(PolicyOperation.ShearX, 9, 31, size, wide: false), 1e-12);
        Assert.AreEqual(45.0, PolicyOps.Magnitude(PolicyOperation.TranslateX, 9, 31, size, wide: false), 1e-9);
        Assert.AreEqual(90.0, PolicyOps.Magnitude(PolicyOperation.TranslateY, 9, 31, size, wide: false), 1e-9);
        Assert.AreEqual(9.0, PolicyOps.Magnitude(PolicyOperation.Rotate, 9, 31, size, wide: false), 1e-12);
        Assert.AreEqual(0.27, PolicyOps.Magnitude(PolicyOperation.Sharpness, 9, 31, size, wide: false), 1e-12);
        Assert.AreEqual(178.5, PolicyOps.Magnitude(PolicyOperation.Solarize, 9, 31, size, wide: false), 1e-9);
        // Posterize: 8 − round(k / 7.5) bits over 31 bins; 8 − round(k / 2.25) over AutoAugment's 10.
        int[] bits31 = [.. Enumerable.Range(0, 31).Select(k => (int)PolicyOps.Magnitude(PolicyOperation.Posterize, k, 31, size, wide: false))];
        CollectionAssert.AreEqual(new[] { 8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4 }, bits31);
        int[] bits10 = [.. Enumerable.Range(0, 10).Select(k => (int)PolicyOps.Magnitude(PolicyOperation.Posterize, k, 10, size, wide: false))];
        CollectionAssert.AreEqual(new[] { 8, 8, 7, 7, 6, 6, 5, 5, 4, 4 }, bits10);
    }

    [TestMethod]
    public void Magnitude_WideSpace_MatchesTorchvisionTrivialAugmentWide()
    {
        var size = new Size(24, 24);
        Assert.AreEqual(0.99, PolicyOps.Magnitude(PolicyOperation.ShearY, 30, 31, size, wide: true), 1e-12);
        Assert.AreEqual(32.0, PolicyOps.Magnitude(PolicyOperation.TranslateX, 30, 31, size, wide: true), 1e-12);
        Assert.AreEqual(135.0, PolicyOps.Magnitude(PolicyOperation.Rotate, 30, 31, size, wide: true), 1e-12);
        Assert.AreEqual(0.99, PolicyOps.Magnitude(PolicyOperation.Color, 30, 31, size, wide: true), 1e-12);
        Assert.AreEqual(2.0, PolicyOps.Magnitude(PolicyOperation.Posterize, 30, 31, size, wide: true));
        Assert.AreEqual(0.0, PolicyOps.Magnitude(PolicyOperation.Solarize, 30, 31, size, wide: true), 1e-12);
        Assert.AreEqual(255.0, PolicyOps.Magnitude(PolicyOperation.Solarize, 0, 31, size, wide: true));
    }
}
