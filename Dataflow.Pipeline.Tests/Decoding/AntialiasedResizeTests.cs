using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Decoding;

/// <summary>
/// <see cref="Interpolation.AntialiasedBilinear"/> through the real graph against Pillow's own resize of the same
/// pixels: the expected images in <c>Pillow/</c> were made by Pillow from the same pattern (<c>Pillow/make.py</c>), as
/// torchvision's classic transforms do on a PIL image.
/// </summary>
[TestClass]
public sealed class AntialiasedResizeTests
{
    /// <summary>The pattern <c>make.py</c> draws: fine stripes, a quadratic ramp and a checkerboard (R, G, B), as BGR for OpenCV.</summary>
    private static Mat Pattern(int width, int height)
    {
        var image = new Mat(height, width, MatType.CV_8UC3);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte r = (byte)(((x * 7) + (y * 3) + ((x * y) % 13 * 9)) % 256);
                byte g = (byte)(((x * x) + (2 * y * y)) % 256);
                byte b = (byte)(20 + (200 * (((x / 5) + (y / 7)) % 2)));
                image.Set(y, x, new Vec3b(b, g, r));
            }
        }

        return image;
    }

    [TestMethod]
    [DataRow(301, 203, ResizeMode.ShorterSideThenCenterCrop, 56, 56, "landscape-301x203-eval.png")]
    [DataRow(150, 260, ResizeMode.ShorterSideThenCenterCrop, 56, 56, "portrait-150x260-eval.png")]
    [DataRow(301, 203, ResizeMode.Stretch, 56, 40, "landscape-301x203-stretch-56x40.png")]
    public async Task Run_AntialiasedBilinear_EqualsPillowsResizeBitForBit(int width, int height, ResizeMode resize, int targetWidth, int targetHeight, string expectedFile)
    {
        using var data = new TempDataset();
        using (Mat source = Pattern(width, height))
        {
            data.Write("a", "pattern.png", source);
        }

        var options = new PipelineOptions
        {
            Width = targetWidth, Height = targetHeight, ResizeMode = resize, Interpolation = Interpolation.AntialiasedBilinear,
            Normalization = NormalizationOptions.None, Output = TensorElementType.UInt8, Layout = TensorLayout.Nhwc, BatchSize = 1,
        };

        ByteOutputTests.SeenBytes batch = (await ByteOutputTests.RunBytesAsync(options, data.Root)).Single();

        using Mat expected = Cv2.ImRead(Path.Combine(AppContext.BaseDirectory, "Decoding", "Pillow", expectedFile), ImreadModes.Color);
        using Mat expectedRgb = expected.CvtColor(ColorConversionCodes.BGR2RGB);
        CollectionAssert.AreEqual(ReferenceImages.Bytes(expectedRgb), batch.Data, $"{expectedFile}: every byte as Pillow resizes it");
    }

    [TestMethod]
    public async Task Run_AntialiasedBilinearShrinking_DiffersFromOpenCvsBilinear()
    {
        using var data = new TempDataset();
        using (Mat source = Pattern(301, 203))
        {
            data.Write("a", "pattern.png", source);
        }

        var options = new PipelineOptions
        {
            Width = 56, Height = 40, Normalization = NormalizationOptions.None, Output = TensorElementType.UInt8, Layout = TensorLayout.Nhwc, BatchSize = 1,
        };

        byte[] antialiased = (await ByteOutputTests.RunBytesAsync(options with { Interpolation = Interpolation.AntialiasedBilinear }, data.Root)).Single().Data;
        byte[] bilinear = (await ByteOutputTests.RunBytesAsync(options, data.Root)).Single().Data;

        using Mat decoded = Cv2.ImRead(data.Root + "/a/pattern.png", ImreadModes.Color);
        using Mat opencv = decoded.Resize(new Size(56, 40), 0, 0, InterpolationFlags.Linear).CvtColor(ColorConversionCodes.BGR2RGB);
        CollectionAssert.AreEqual(ReferenceImages.Bytes(opencv), bilinear, "Bilinear is OpenCV's");
        CollectionAssert.AreNotEqual(bilinear, antialiased, "shrinking 5x, the antialiased filter reads other pixels");
    }

    [TestMethod]
    public void Resize_ConstantImageAnySize_StaysConstant()
    {
        using var gray = new Mat(97, 131, MatType.CV_8UC1, Scalar.All(173));
        foreach (Size size in new[] { new Size(13, 9), new Size(131, 20), new Size(40, 97), new Size(300, 200) })
        {
            using Mat resized = AntialiasedResize.Resize(gray, size);
            Assert.AreEqual(size, resized.Size());
            resized.GetArray(out byte[] pixels);
            Assert.IsTrue(pixels.All(p => p == 173), $"{size}");
        }
    }
}
