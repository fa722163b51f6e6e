using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Preview;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class AugmentPreviewCommandTests
{
    [TestMethod]
    public async Task Render_FlipAlways_EveryTileIsTheMirroredSource()
    {
        using Mat pattern = TempDataset.Pattern(48, 40, 3);
        Cv2.ImEncode(".png", pattern, out byte[] png);
        using Mat source = await AugmentationStrip.RenderAsync(png, [], 32, 1, 0);
        using Mat strip = await AugmentationStrip.RenderAsync(png, [new RandomHorizontalFlip(1)], 32, 3, 0);
        Assert.AreEqual(new Size(3 * 32 + 2 * 4, 32), strip.Size());
        using var mirrored = new Mat();
        Cv2.Flip(source, mirrored, FlipMode.Y);
        for (int i = 0; i < 3; i++)
        {
            using var tile = new Mat(strip, new Rect(i * 36, 0, 32, 32));
            Assert.AreEqual(0.0, Cv2.Norm(tile, mirrored, NormTypes.INF), $"tile {i}");
        }
    }

    [TestMethod]
    public async Task AugmentPreview_Image_WritesSourceAndOnePicturePerCatalogueEntry()
    {
        using var data = new TempDataset();
        string image = data.AddImage("a", "source.png", 64, 48, seed: 2);
        string output = Path.Combine(data.Root, "out");

        SampleRun run = await SampleRun.RunAsync("augment-preview", "--image", image, "--out", output, "--size", "24", "--count", "2");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        string[] expected = ["source", .. AugmentationStrip.DocsCatalogue.Select(e => e.Name)];
        CollectionAssert.AreEquivalent(expected.Select(n => n + ".png").ToArray(), Directory.GetFiles(output).Select(Path.GetFileName).ToArray());
        using Mat rotation = Cv2.ImRead(Path.Combine(output, "rotation.png"));
        Assert.AreEqual(new Size(2 * 24 + 4, 24), rotation.Size());
    }

    [TestMethod]
    public async Task AugmentPreview_MissingImage_FailsWithOneLine()
    {
        SampleRun run = await SampleRun.RunAsync("augment-preview", "--image", "/no/such/file.png");
        run.AssertOneLineError("--image: the file '/no/such/file.png' does not exist.", Dataflow.Samples.Commands.ExitCodes.UsageError);
    }
}
