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
    [DataRow(0, 0, "width", "Parameter \"width\" must be between 1 and 16384, was 0.")]
    [DataRow(8, 0, "height", "Parameter \"height\" must be between 1 and 16384, was 0.")]
    [DataRow(-3, 8, "width", "Parameter \"width\" must be between 1 and 16384, was -3.")]
    [DataRow(8, 16_385, "height", "Parameter \"height\" must be between 1 and 16384, was 16385.")]
    public void Constructor_SizeOutOfRange_ThrowsNamingTheParameter(int width, int height, string name, string message)
    {
        // It used to be accepted, and the first image then failed in OpenCV's resize with "inv_scale_x > 0".
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageDecoder(width, height));
        Assert.AreEqual(name, e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [TestMethod]
    public void Constructor_UndefinedEnumValue_ThrowsNamingTheParameter()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageDecoder(8, 8, resize: (ResizeMode)9));
        Assert.AreEqual("resize", e.ParamName);
        Assert.StartsWith("Parameter \"resize\" must be one of ", e.Message);
    }

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

    [TestMethod]
    public void Decode_JpegWhoseSizeCannotBeRead_RefusedNamingTheLimit()
    {
        using Mat image = TempDataset.Pattern(40, 30, 1);
        Cv2.ImEncode(".jpg", image, out byte[] jpeg);
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        // The frame header's length runs past the data: no size can be read, so it is not decoded.
        byte[] cut = [.. jpeg[..(sof + 4)], 0xFF, 0xD9];

        var e = Assert.ThrowsExactly<ImageDecodeException>(() => new ImageDecoder(8, 8).Decode(cut, "/data/c/x.jpg"));
        Assert.AreEqual("the Jpeg header's image size cannot be read, so it cannot be checked against the limit of 178956970 pixels (MaxImagePixels): corrupt header", e.Reason);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Decode_FloatTiff_RefusedAsUnsupportedSampleType(int channels)
    {
        using var image = new Mat(10, 12, MatType.CV_32FC(channels), Scalar.All(0.25));
        Assert.IsTrue(Cv2.ImEncode(".tiff", image, out byte[] tiff), "OpenCV writes float TIFFs");

        var e = Assert.ThrowsExactly<ImageDecodeException>(() => new ImageDecoder(8, 8).Decode(tiff, "/data/c/x.tif"));
        StringAssert.StartsWith(e.Reason, "unsupported TIFF sample type: 32-bit floating-point samples");
    }

    [TestMethod]
    [DataRow(500, 375, 341, 256, 58, 16)] // landscape: 256 × 500 / 375 = 341.3, crop left round(58.5) = 58 (to even)
    [DataRow(375, 500, 256, 341, 16, 58)] // portrait
    [DataRow(300, 300, 256, 256, 16, 16)] // square
    [DataRow(1000, 257, 996, 256, 386, 16)] // 256 × 1000 / 257 = 996.1
    [DataRow(224, 100, 573, 256, 174, 16)] // upsized: 256 × 224 / 100 = 573.44, left round(174.5) = 174
    [DataRow(100, 151, 256, 386, 16, 81)] // 256 × 151 / 100 = 386.56 truncated, top round(81) = 81
    public void ShorterSideSize_TorchvisionRounding(int w, int h, int resizedW, int resizedH, int left, int top)
    {
        var decoder = new ImageDecoder(224, 224, resize: ResizeMode.ShorterSideThenCenterCrop);
        Assert.AreEqual(new Size(resizedW, resizedH), decoder.ShorterSideSize(new Size(w, h)));
        Assert.AreEqual(left, (int)Math.Round((resizedW - 224) / 2.0, MidpointRounding.ToEven));
        Assert.AreEqual(top, (int)Math.Round((resizedH - 224) / 2.0, MidpointRounding.ToEven));
    }

    [TestMethod]
    [DataRow(61, 47, 24, 24, 0.875)]
    [DataRow(47, 61, 24, 24, 0.875)]
    [DataRow(90, 50, 32, 20, 0.875)] // non-square target: S from the larger side, 36
    [DataRow(33, 80, 20, 32, 0.5)]
    [DataRow(25, 25, 25, 25, 1.0)] // S equals the image: no resize, the crop is the whole image
    [DataRow(13, 9, 24, 24, 0.875)] // upsizing
    public void Decode_ShorterSideThenCenterCrop_EqualsOpenCvResizeThenCrop(int w, int h, int tw, int th, double fraction)
    {
        using var data = new TempDataset();
        foreach (string extension in (string[])[".png", ".jpg"])
        {
            string path = data.AddImage("c", "x" + extension, w, h, seed: 3);
            // OpenCV's interpolations; the antialiased one is Pillow's, compared with Pillow in AntialiasedResizeTests.
            foreach (Interpolation interpolation in Enum.GetValues<Interpolation>().Where(i => i != Interpolation.AntialiasedBilinear))
            {
                var decoder = new ImageDecoder(tw, th, ColorMode.Rgb, ResizeMode.ShorterSideThenCenterCrop, interpolation, reducedDecode: false) { CenterCropFraction = fraction };
                using Mat actual = decoder.Decode(File.ReadAllBytes(path), path);

                using Mat source = Cv2.ImRead(path, ImreadModes.Color);
                using Mat expected = ReferenceImages.ResizeShorterSideThenCenterCrop(source, (int)Math.Floor(Math.Max(tw, th) / fraction), new Size(w, h), tw, th, ImageDecoder.ToOpenCv(interpolation));
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual), $"{path} {interpolation}");
            }
        }
    }

    [TestMethod]
    public void Decode_ShorterSideThenCenterCropReducedJpeg_IntermediateSizeFromTheFullImage()
    {
        using var data = new TempDataset();
        string path;
        using (var picture = new Mat(900, 1200, MatType.CV_8UC3, new Scalar(40, 90, 200)))
        {
            // Smooth shapes, so that a full decode and a reduced one resample to nearly the same picture.
            Cv2.Rectangle(picture, new Rect(0, 0, 600, 450), new Scalar(250, 250, 250), -1);
            Cv2.Circle(picture, new Point(700, 500), 300, new Scalar(0, 0, 0), -1);
            path = data.Write("c", "big.jpg", picture, [(int)ImwriteFlags.JpegQuality, 95]);
        }

        var decoder = new ImageDecoder(56, 56, resize: ResizeMode.ShorterSideThenCenterCrop);

        // S = 64, so the intermediate is 85×64 (or 64×85 turned): 1/8 (150×113) still covers it in both orientations.
        Assert.AreEqual(8, decoder.ReductionFor(1200, 900));
        // A 112 target: S = 128, intermediate 170×128; 1/8 (150×113) no longer covers it, 1/4 (300×225) does.
        Assert.AreEqual(4, new ImageDecoder(112, 112, resize: ResizeMode.ShorterSideThenCenterCrop).ReductionFor(1200, 900));
        using Mat actual = decoder.Decode(File.ReadAllBytes(path), path);

        // OpenCV's 1/8 decode resized to the intermediate of the full 1200×900 image (85×64; from 150×113 it would be 84×64).
        using Mat reduced = Cv2.ImRead(path, ImreadModes.ReducedColor8);
        Assert.AreEqual(new Size(150, 113), reduced.Size());
        using Mat expected = ReferenceImages.ResizeShorterSideThenCenterCrop(reduced, 64, new Size(1200, 900), 56, 56, InterpolationFlags.Linear);
        CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.Bytes(actual));

        // And close to an anti-aliased resize of the full decode: the reduction only changes the resampling.
        using Mat full = Cv2.ImRead(path, ImreadModes.Color);
        using Mat fullExpected = ReferenceImages.ResizeShorterSideThenCenterCrop(full, 64, new Size(1200, 900), 56, 56, InterpolationFlags.Area);
        Assert.IsLessThanOrEqualTo(3.0, Reliability.Pixels.MeanDifference(fullExpected, actual));
    }
}
