using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Targets;

[TestClass]
public sealed class MaskSourceTests
{
    [TestMethod]
    public void FromPolygons_Square_FillsThePixelsWhoseCentresAreInside()
    {
        // The square [2, 6] x [1, 4] covers pixel columns 2..5 and rows 1..3.
        using Mat mask = MaskSource.FromPolygons([[2, 1, 6, 1, 6, 4, 2, 4]], value: 3).Render(new Size(8, 6));
        for (int y = 0; y < 6; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                Assert.AreEqual(x is >= 2 and <= 5 && y is >= 1 and <= 3 ? 3 : 0, mask.At<byte>(y, x), $"pixel ({x}, {y})");
            }
        }
    }

    [TestMethod]
    public void FromEncoded_Png_DecodesAndChecksTheSize()
    {
        using var source = new Mat(4, 5, MatType.CV_8UC1, Scalar.All(0));
        source.Set(2, 3, (byte)7);
        Cv2.ImEncode(".png", source, out byte[] png);
        IMaskSource mask = MaskSource.FromEncoded(png, "masks/a.png");
        using (Mat decoded = mask.Render(new Size(5, 4)))
        {
            Assert.AreEqual((byte)7, decoded.At<byte>(2, 3));
            Assert.AreEqual(7, (int)Cv2.Sum(decoded).Val0);
        }

        var e = Assert.ThrowsExactly<InvalidDataException>(() => mask.Render(new Size(4, 4)).Dispose());
        Assert.AreEqual("Mask 'masks/a.png' is 5x4 CV_8UC1; the image is 4x4 and a mask is 8-bit, 1 channel, of its size.", e.Message);
    }

    [TestMethod]
    public void FromLabelMap_CopiesAndChecksTheSize()
    {
        byte[] pixels = [1, 2, 3, 4, 5, 6];
        IMaskSource mask = MaskSource.FromLabelMap(pixels, 3, 2);
        pixels[0] = 9;
        using (Mat m = mask.Render(new Size(3, 2)))
        {
            Assert.AreEqual((byte)1, m.At<byte>(0, 0));
            Assert.AreEqual((byte)6, m.At<byte>(1, 2));
        }

        var e = Assert.ThrowsExactly<InvalidDataException>(() => mask.Render(new Size(2, 3)).Dispose());
        Assert.AreEqual("Mask 'label map 3x2' is 3x2; the image is 2x3.", e.Message);
    }

    [TestMethod]
    public void RenderChecked_WrongType_NamesTheSource()
    {
        IMaskSource mask = MaskSource.FromDelegate(size => new Mat(size, MatType.CV_8UC3));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MaskSource.RenderChecked(mask, new Size(2, 2)).Dispose());
        Assert.AreEqual("Mask 'mask from a delegate' gave a 2x2 CV_8UC3 Mat; the image is 2x2 and a mask is 8-bit, 1 channel, of its size.", e.Message);
    }
}
