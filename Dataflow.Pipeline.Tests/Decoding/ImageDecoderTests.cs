using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Decoding;

[TestClass]
public sealed class ImageDecoderTests
{
    public static IEnumerable<object[]> Formats =>
    [
        [".jpg"], [".png"], [".bmp"], [".webp"], [".tiff"],
    ];

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void Decode_Format_EqualsOpenCvDecodeAndResize(string extension)
    {
        using var data = new TempDataset();
        string path = data.AddImage("c", "x" + extension, 61, 47, seed: 3);
        var decoder = new ImageDecoder(24, 18, reducedDecode: false);

        using Mat actual = decoder.Decode(File.ReadAllBytes(path), path);
        using Mat expected = ReferenceImages.DecodeResize(path, 24, 18);

        Assert.AreEqual(MatType.CV_8UC3, actual.Type());
        CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual));
    }

    [TestMethod]
    public void Decode_GrayscaleAlphaAnd16BitPng_BecomeEightBitInTheColourMode()
    {
        using var data = new TempDataset();
        using Mat bgr = TempDataset.Pattern(30, 20, 5);
        using Mat gray = bgr.CvtColor(ColorConversionCodes.BGR2GRAY);
        using Mat bgra = bgr.CvtColor(ColorConversionCodes.BGR2BGRA);
        using Mat deep = new Mat();
        bgr.ConvertTo(deep, MatType.CV_16UC3, 257);
        string[] paths = [data.Write("c", "gray.png", gray), data.Write("c", "alpha.png", bgra), data.Write("c", "deep.png", deep)];

        foreach (ColorMode mode in Enum.GetValues<ColorMode>())
        {
            var decoder = new ImageDecoder(15, 10, mode, reducedDecode: false);
            foreach (string path in paths)
            {
                using Mat actual = decoder.Decode(File.ReadAllBytes(path), path);
                Assert.AreEqual(mode == ColorMode.Grayscale ? MatType.CV_8UC1 : MatType.CV_8UC3, actual.Type(), $"{path} as {mode}");
                using Mat expected = ReferenceImages.DecodeResize(path, 15, 10, mode == ColorMode.Grayscale ? ColorMode.Grayscale : mode);
                if (mode == ColorMode.Bgr)
                {
                    // The reference converts to RGB only for Rgb; Bgr stays as OpenCV decodes it.
                    CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual), path);
                }
                else
                {
                    CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual), path);
                }
            }
        }
    }

    [TestMethod]
    public void Decode_InterpolationModes_MatchOpenCv()
    {
        using var data = new TempDataset();
        string path = data.AddImage("c", "x.png", 50, 40, seed: 9);
        (Interpolation Mode, InterpolationFlags Flag)[] modes =
            [(Interpolation.Nearest, InterpolationFlags.Nearest), (Interpolation.Bilinear, InterpolationFlags.Linear), (Interpolation.Area, InterpolationFlags.Area), (Interpolation.Cubic, InterpolationFlags.Cubic)];
        foreach (var (mode, flag) in modes)
        {
            using Mat actual = new ImageDecoder(17, 13, ColorMode.Rgb, ResizeMode.Stretch, mode, false).Decode(File.ReadAllBytes(path), path);
            using Mat expected = ReferenceImages.DecodeResize(path, 17, 13, ColorMode.Rgb, flag);
            CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual), mode.ToString());
        }
    }

    [TestMethod]
    public void Decode_CenterCrop_ResizesTheCentredWindowOfTargetAspect()
    {
        using var data = new TempDataset();
        string path = data.AddImage("c", "x.png", 80, 40, seed: 2);
        using Mat actual = new ImageDecoder(20, 20, ColorMode.Bgr, ResizeMode.CenterCrop, reducedDecode: false).Decode(File.ReadAllBytes(path), path);

        using Mat source = Cv2.ImRead(path);
        using Mat window = new Mat(source, new Rect(20, 0, 40, 40));
        using Mat expected = new Mat();
        Cv2.Resize(window, expected, new Size(20, 20));
        CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual));
    }

    [TestMethod]
    public void Decode_Letterbox_KeepsAspectAndPadsWithZeros()
    {
        using var data = new TempDataset();
        string path = data.AddImage("c", "x.png", 80, 40, seed: 4);
        using Mat actual = new ImageDecoder(20, 20, ColorMode.Bgr, ResizeMode.Letterbox, reducedDecode: false).Decode(File.ReadAllBytes(path), path);

        using Mat source = Cv2.ImRead(path);
        using Mat fitted = new Mat();
        Cv2.Resize(source, fitted, new Size(20, 10));
        using Mat band = new Mat(actual, new Rect(0, 5, 20, 10));
        CollectionAssert.AreEqual(ReferenceImages.Bytes(fitted), ReferenceImages.Bytes(band));
        using Mat top = new Mat(actual, new Rect(0, 0, 20, 5));
        using Mat bottom = new Mat(actual, new Rect(0, 15, 20, 5));
        Assert.AreEqual(0, Cv2.CountNonZero(top.Reshape(1)));
        Assert.AreEqual(0, Cv2.CountNonZero(bottom.Reshape(1)));
    }

    [TestMethod]
    public void ReductionFor_LargeJpeg_PicksLargestFactorStillCoveringTarget()
    {
        var decoder = new ImageDecoder(224, 224);
        Assert.AreEqual(4, decoder.ReductionFor(1600, 1200));
        Assert.AreEqual(2, decoder.ReductionFor(640, 480));
        Assert.AreEqual(1, decoder.ReductionFor(400, 300));
        Assert.AreEqual(8, decoder.ReductionFor(2000, 1800));
        Assert.AreEqual(ImreadModes.ReducedColor4, decoder.DecodeMode(new ImageHeader(ImageFormat.Jpeg, 1600, 1200)));
        Assert.AreEqual(ImreadModes.Color, decoder.DecodeMode(new ImageHeader(ImageFormat.Png, 1600, 1200)));
        Assert.AreEqual(ImreadModes.Color, new ImageDecoder(224, 224, reducedDecode: false).DecodeMode(new ImageHeader(ImageFormat.Jpeg, 1600, 1200)));
    }

    [TestMethod]
    public void Decode_ReducedJpeg_EqualsOpenCvReducedDecodeThenResize()
    {
        using var data = new TempDataset();
        string path = data.AddImage("c", "big.jpg", 400, 320, seed: 8);
        using Mat actual = new ImageDecoder(96, 80).Decode(File.ReadAllBytes(path), path);

        // 400x320 to 96x80: 1/4 would cover it, but not if EXIF turned it a quarter, so 1/2.
        Assert.AreEqual(2, new ImageDecoder(96, 80).ReductionFor(400, 320));
        using Mat reduced = Cv2.ImRead(path, ImreadModes.ReducedColor2);
        Assert.AreEqual(200, reduced.Width);
        using Mat expected = new Mat();
        Cv2.Resize(reduced, expected, new Size(96, 80));
        Cv2.CvtColor(expected, expected, ColorConversionCodes.BGR2RGB);
        CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual));
    }

    [TestMethod]
    public void Decode_NotAnImage_ThrowsNamingTheFileAndReason()
    {
        var decoder = new ImageDecoder(8, 8);
        var e = Assert.ThrowsExactly<ImageDecodeException>(() => decoder.Decode("hello, world"u8, "/data/c/x.png"));
        StringAssert.Contains(e.Message, "/data/c/x.png");
        StringAssert.Contains(e.Message, "12 bytes");
        Assert.ThrowsExactly<ImageDecodeException>(() => decoder.Decode([], "/data/c/empty.png"));
    }

    [TestMethod]
    public void Decode_TruncatedJpeg_RefusedUnlessAccepted()
    {
        using var data = new TempDataset();
        string path = data.AddImage("c", "x.jpg", 64, 48, seed: 1);
        byte[] bytes = File.ReadAllBytes(path);
        byte[] truncated = bytes[..(bytes.Length * 2 / 3)];
        Assert.IsTrue(Cv2.ImDecode(truncated, ImreadModes.Color).Empty(), "OpenCV alone refuses it");

        var e = Assert.ThrowsExactly<ImageDecodeException>(() => new ImageDecoder(8, 8).Decode(truncated, path));
        StringAssert.Contains(e.Message, "truncated");
        using Mat accepted = new ImageDecoder(64, 48, ColorMode.Bgr, reducedDecode: false) { AcceptTruncatedJpeg = true }.Decode(truncated, path);
        using Mat full = Cv2.ImDecode(bytes, ImreadModes.Color);
        // The top rows decode as in the whole file; the missing bottom rows are flat grey.
        using Mat topActual = new Mat(accepted, new Rect(0, 0, 64, 8));
        using Mat topFull = new Mat(full, new Rect(0, 0, 64, 8));
        CollectionAssert.AreEqual(ReferenceImages.Bytes(topFull), ReferenceImages.Bytes(topActual));
        Vec3b corner = accepted.At<Vec3b>(47, 63);
        Assert.AreEqual(corner.Item0, corner.Item1);
        Assert.AreEqual(corner.Item1, corner.Item2);
    }
}
