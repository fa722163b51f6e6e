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
        if (format is not ImageFormat.Tiff and not ImageFormat.Pnm)
        {
            Assert.AreEqual(123, header.Width);
            Assert.AreEqual(45, header.Height);
        }
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
