using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Reliability;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Decoding;

[TestClass]
public sealed class ImageHeaderTests
{
    [TestMethod]
    [DataRow(".jpg", ImageFormat.Jpeg)]
    [DataRow(".png", ImageFormat.Png)]
    [DataRow(".bmp", ImageFormat.Bmp)]
    [DataRow(".webp", ImageFormat.WebP)]
    [DataRow(".tiff", ImageFormat.Tiff)]
    [DataRow(".ppm", ImageFormat.Pnm)]
    public void Read_OpenCvEncodedImage_FormatAndSize(string extension, ImageFormat format)
    {
        using Mat image = TempDataset.Pattern(123, 45, 1);
        Cv2.ImEncode(extension, image, out byte[] bytes);

        ImageHeader header = ImageHeader.Read(bytes);

        Assert.AreEqual(format, header.Format);
        Assert.AreEqual(123, header.Width);
        Assert.AreEqual(45, header.Height);
    }

    [TestMethod]
    public void Read_BigEndianTiffAndCommentedPnm_SizeFromHeader()
    {
        // IFD0 with ImageWidth as SHORT and ImageLength as LONG, big-endian.
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 2,
            1, 0, 0, 3, 0, 0, 0, 1, 0, 123, 0, 0,
            1, 1, 0, 4, 0, 0, 0, 1, 0, 0, 0, 45,
            0, 0, 0, 0,
        ];
        Assert.AreEqual(new ImageHeader(ImageFormat.Tiff, 123, 45), ImageHeader.Read(tiff));
        Assert.AreEqual(new ImageHeader(ImageFormat.Pnm, 640, 480), ImageHeader.Read("P5\n# made by hand\n 640\t# the width\n480 255\n"u8));
    }

    [TestMethod]
    public void Read_SizeBeyondInt_ClampedNotWrapped()
    {
        using Mat image = TempDataset.Pattern(8, 8, 1);
        Cv2.ImEncode(".png", image, out byte[] png);
        png.AsSpan(16, 8).Fill(0xFF);
        ImageHeader header = ImageHeader.Read(png);
        Assert.AreEqual(int.MaxValue, header.Width);
        Assert.AreEqual((long)int.MaxValue * int.MaxValue, header.Pixels);
    }

    [TestMethod]
    public void Read_TextOrEmpty_Unknown()
    {
        Assert.AreEqual(ImageFormat.Unknown, ImageHeader.Read("just some text"u8).Format);
        Assert.AreEqual(ImageFormat.Unknown, ImageHeader.Read([]).Format);
    }

    [TestMethod]
    public void JpegHasEndMarker_WholeAndTruncated()
    {
        using Mat image = TempDataset.Pattern(40, 30, 1);
        Cv2.ImEncode(".jpg", image, out byte[] bytes);
        Assert.IsTrue(ImageHeader.JpegHasEndMarker(bytes));
        Assert.IsTrue(ImageHeader.JpegHasEndMarker([.. bytes, 0, 0, 0]));
        Assert.IsFalse(ImageHeader.JpegHasEndMarker(bytes[..^10]));
    }

    public static IEnumerable<object[]> JunkBetweenSegments =>
    [
        [new byte[] { 0x42 }], // one stray byte
        [new byte[] { 0x00, 0x13, 0x37, 0x00 }], // several
        [new byte[] { 0x42, 0xFF, 0xFF, 0xFF }], // a stray byte, then fill bytes before the marker
        [new byte[] { 0xFF, 0x00, 0x42 }], // a stuffed zero, which is not a marker
        [new byte[] { 0xFF, 0xD0, 0xFF, 0x01 }], // RST0 and TEM, markers without a length
    ];

    [TestMethod]
    [DynamicData(nameof(JunkBetweenSegments))]
    public void Read_JpegWithJunkBetweenSegments_SizeAsLibjpegDecodesIt(byte[] junk)
    {
        using Mat image = TempDataset.Pattern(123, 45, 1);
        Cv2.ImEncode(".jpg", image, out byte[] jpeg);
        byte[] odd = EncodedImages.WithJunkAfterApp0(jpeg, junk);

        // libjpeg skips the junk and decodes the image: the header reader must find the same size.
        using Mat decoded = Cv2.ImDecode(odd, ImreadModes.Color);
        Assert.IsFalse(decoded.Empty(), "OpenCV decodes it");
        Assert.AreEqual(new ImageHeader(ImageFormat.Jpeg, decoded.Width, decoded.Height), ImageHeader.Read(odd));
        Assert.AreEqual(new ImageHeader(ImageFormat.Jpeg, 123, 45), ImageHeader.Read(odd));
    }

    [TestMethod]
    public void Read_JpegWithoutFrameHeader_SizeZero()
    {
        using Mat image = TempDataset.Pattern(40, 30, 1);
        Cv2.ImEncode(".jpg", image, out byte[] jpeg);
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        Assert.AreEqual(new ImageHeader(ImageFormat.Jpeg, 0, 0), ImageHeader.Read(jpeg[..sof]), "cut before the frame header");
        Assert.AreEqual(new ImageHeader(ImageFormat.Jpeg, 0, 0), ImageHeader.Read([.. jpeg[..sof], 0xFF, 0xD9]), "end of image before any frame header");
        Assert.AreEqual(new ImageHeader(ImageFormat.Jpeg, 0, 0), ImageHeader.Read([.. jpeg[..(sof + 5)]]), "frame header cut short");
    }

    [TestMethod]
    public void Read_Os2Bitmap_SixteenBitSizeOfTheCoreHeader()
    {
        byte[] bmp = EncodedImages.Os2Bitmap(300, 200, (x, y) => ((byte)x, (byte)y, 0));
        using Mat decoded = Cv2.ImDecode(bmp, ImreadModes.Color);
        Assert.AreEqual(new Size(300, 200), decoded.Size(), "OpenCV's decode");
        Assert.AreEqual(new ImageHeader(ImageFormat.Bmp, 300, 200), ImageHeader.Read(bmp));
    }

    [TestMethod]
    public void Read_TopDownBitmap_HeightIsPositive()
    {
        using Mat image = TempDataset.Pattern(30, 20, 1);
        Cv2.ImEncode(".bmp", image, out byte[] bmp);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), -20);
        Assert.AreEqual(new ImageHeader(ImageFormat.Bmp, 30, 20), ImageHeader.Read(bmp));
    }

    [TestMethod]
    [DataRow(1, "32-bit floating-point")]
    [DataRow(3, "32-bit floating-point")]
    public void TiffWideSampleType_OpenCvFloatTiff_Named(int channels, string expected)
    {
        using var image = new Mat(10, 12, MatType.CV_32FC(channels), Scalar.All(0.25));
        Assert.IsTrue(Cv2.ImEncode(".tiff", image, out byte[] tiff));
        Assert.AreEqual(expected, ImageHeader.TiffWideSampleType(tiff));
        Assert.AreEqual(new ImageHeader(ImageFormat.Tiff, 12, 10), ImageHeader.Read(tiff));
    }

    [TestMethod]
    public void TiffWideSampleType_EightAndSixteenBitTiff_Null()
    {
        using Mat image = TempDataset.Pattern(12, 10, 1);
        using var wide = new Mat();
        image.ConvertTo(wide, MatType.CV_16UC3, 257);
        Cv2.ImEncode(".tiff", image, out byte[] narrow);
        Cv2.ImEncode(".tiff", wide, out byte[] sixteen);
        Assert.IsNull(ImageHeader.TiffWideSampleType(narrow));
        Assert.IsNull(ImageHeader.TiffWideSampleType(sixteen));
        Assert.IsNull(ImageHeader.TiffWideSampleType("just some text"u8));
    }
}
