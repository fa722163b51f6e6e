using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomCropTests
{
    [TestMethod]
    public void Apply_SmallerSize_EqualsASourceWindowInsideTheImageAndPositionsVary()
    {
        using Mat source = Source(32, 24);
        var positions = new HashSet<Point>();
        for (int seed = 0; seed < 30; seed++)
        {
            using Mat crop = Run(new RandomCrop(width: 20, height: 10), source, seed);
            Assert.AreEqual(new Size(20, 10), crop.Size());
            positions.Add(Locate(source, crop, $"seed {seed}"));
        }

        Assert.IsGreaterThan(5, positions.Count, "distinct positions in 30 seeds");
    }

    [TestMethod]
    [DataRow(PaddingMode.Constant)]
    [DataRow(PaddingMode.Reflect)]
    [DataRow(PaddingMode.Edge)]
    public void Apply_Padding_EqualsAWindowOfTheWholePaddedImage(PaddingMode mode)
    {
        using Mat source = Source(32, 24);
        using Mat padded = new();
        BorderTypes border = mode switch { PaddingMode.Reflect => BorderTypes.Reflect101, PaddingMode.Edge => BorderTypes.Replicate, _ => BorderTypes.Constant };
        Cv2.CopyMakeBorder(source, padded, 6, 6, 6, 6, border, Scalar.All(99));
        var positions = new HashSet<Point>();
        for (int seed = 0; seed < 30; seed++)
        {
            using Mat crop = Run(new RandomCrop(padding: 6, paddingMode: mode, fill: 99), source, seed);
            Assert.AreEqual(source.Size(), crop.Size(), "without a size the crop keeps the input's size");
            positions.Add(Locate(padded, crop, $"seed {seed}"));
        }

        Assert.IsGreaterThan(5, positions.Count, "distinct positions in 30 seeds");
    }

    [TestMethod]
    public void Apply_WindowWhollyInPadding_EqualsTheFill()
    {
        using Mat source = Source(4, 4);
        for (int seed = 0; seed < 20; seed++)
        {
            using Mat crop = Run(new RandomCrop(width: 2, height: 2, padding: 30, fill: 77), source, seed);
            Assert.AreEqual(new Size(2, 2), crop.Size());
        }

        using Mat padded = new();
        Cv2.CopyMakeBorder(source, padded, 30, 30, 30, 30, BorderTypes.Constant, Scalar.All(77));
        using Mat one = Run(new RandomCrop(width: 2, height: 2, padding: 30, fill: 77), source, 3);
        Locate(padded, one, "seed 3");
    }

    [TestMethod]
    public void Apply_SameSizeNoPadding_Identity()
    {
        using Mat source = Source();
        using Mat crop = Run(new RandomCrop(), source);
        AreSame(source, crop);
    }

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomCrop(padding: 4));

    [TestMethod]
    public void Apply_CropLargerThanPaddedImage_ThrowsNamingSizes()
    {
        using Mat source = Source(32, 24);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Run(new RandomCrop(width: 40, height: 24, padding: 2), source).Dispose());
        Assert.AreEqual("RandomCrop(size=40x24, padding=2, mode=Constant, fill=0) cannot crop 40x24 from a 32x24 image padded by 2 (36x28).", e.Message);
    }

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandomCrop(width: 0), "width", "Parameter \"width\" must be between 1 and 16384, was 0.");
        Rejects<ArgumentOutOfRangeException>(() => new RandomCrop(padding: -1), "padding", "Parameter \"padding\" must be between 0 and 4096, was -1.");
        Rejects<ArgumentOutOfRangeException>(() => new RandomCrop(fill: 256), "fill", "Parameter \"fill\" must be at least 0 and at most 255, was 256.");
        Rejects<ArgumentOutOfRangeException>(() => new RandomCrop(paddingMode: (PaddingMode)9), "paddingMode", "Parameter \"paddingMode\" must be one of Constant, Reflect, Edge, was 9.");
    }

    [TestMethod]
    public void ToString_ListsParameters() =>
        Assert.AreEqual("RandomCrop(size=input, padding=4, mode=Reflect, fill=0)", new RandomCrop(padding: 4, paddingMode: PaddingMode.Reflect).ToString());

    /// <summary>Where <paramref name="crop"/> occurs exactly in <paramref name="image"/>; fails if nowhere.</summary>
    internal static Point Locate(Mat image, Mat crop, string message)
    {
        int cw = crop.Width, ch = crop.Height, iw = image.Width, ih = image.Height;
        for (int y = 0; y + ch <= ih; y++)
        {
            for (int x = 0; x + cw <= iw; x++)
            {
                using var window = new Mat(image, new Rect(x, y, cw, ch));
                if (Cv2.Norm(window, crop, NormTypes.INF) == 0)
                {
                    return new Point(x, y);
                }
            }
        }

        Assert.Fail($"{message}: the {cw}x{ch} crop is not a window of the {iw}x{ih} image");
        return default;
    }
}
