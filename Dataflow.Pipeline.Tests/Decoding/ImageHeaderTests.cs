using Dataflow.Pipeline.Decoding;
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
}
