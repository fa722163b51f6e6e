using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class ImageSizeTests
{
    [TestMethod]
    [DataRow("28x28", 28, 28)]
    [DataRow("64X48", 64, 48)]
    [DataRow("32", 32, 32)]
    [DataRow("1x16384", 1, 16384)]
    [DataRow("0x20000", 0, 20000)]
    public void TryParse_WholeNumbers_GivesTheSizeWhateverTheRange(string text, int width, int height)
    {
        Assert.IsTrue(ImageSize.TryParse(text, out ImageSize size));

        Assert.AreEqual(new ImageSize(width, height), size);
        Assert.AreEqual($"{width}x{height}", size.ToString());
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("10x")]
    [DataRow("-5x5")]
    [DataRow("10x10x10")]
    [DataRow("ten")]
    public void TryParse_InvalidText_Fails(string text)
    {
        Assert.IsFalse(ImageSize.TryParse(text, out _));
    }
}
