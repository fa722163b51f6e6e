using System.Text.Json;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Preview;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class PreviewCommandTests
{
    private const int Pad = ContactSheet.Padding;
    private const int Caption = ContactSheet.CaptionHeight;

    [TestMethod]
    public async Task Preview_EmbeddedDigitsAtNativeSize_EachTileIsItsSourceDigitAndLabel()
    {
        string png = TempPng();
        try
        {
            SampleRun run = await SampleRun.RunAsync("preview", "--out", png, "--tile", "20", "--columns", "8", "--batch-size", "16", "--json");

            JsonElement json = run.Json();
            string[] paths = [.. json.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!)];
            string[] labels = [.. json.GetProperty("labels").EnumerateArray().Select(p => p.GetString()!)];
            Assert.HasCount(16, paths);
            for (int i = 0; i < paths.Length; i++)
            {
                // The class folder is the label.
                Assert.AreEqual(Path.GetFileName(Path.GetDirectoryName(paths[i])), labels[i]);
            }

            using Mat sheet = Cv2.ImRead(png, ImreadModes.Color);
            Assert.AreEqual(8 * (20 + Pad) + Pad, sheet.Width);
            Assert.AreEqual(2 * (20 + Caption + Pad) + Pad, sheet.Height);
            // Each tile is its digit, de-normalised back to its bytes.
            AssertTilesShowSources(sheet, paths, 20, 8, tolerance: 0);
        }

        finally
        {
            File.Delete(png);
        }
    }

    [TestMethod]
    public async Task Preview_RgbWithImageNetNormalization_TilesShowTheSourceColours()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);
        string png = TempPng();
        try
        {
            SampleRun run = await SampleRun.RunAsync("preview", "--data", data.Root, "--out", png, "--size", "16x16", "--normalization", "imagenet",
                "--color", "rgb", "--tile", "16", "--columns", "3", "--batch-size", "6", "--json");

            string[] paths = [.. run.Json().GetProperty("paths").EnumerateArray().Select(p => p.GetString()!)];
            using Mat sheet = Cv2.ImRead(png, ImreadModes.Color);
            // float32 normalisation and back can land one level off.
            AssertTilesShowSources(sheet, paths, 16, 3, tolerance: 1);
        }

        finally
        {
            File.Delete(png);
        }
    }

    [TestMethod]
    public async Task Preview_BatchSmallerThanDataset_WritesTheFirstBatchAndFinishes()
    {
        using var data = new TempDataset().WithClasses(2, 10, 16, 16);
        data.WriteBytes("class0/broken.jpg", [1, 2, 3]);
        string png = TempPng();
        try
        {
            SampleRun run = await SampleRun.RunAsync("preview", "--data", data.Root, "--out", png, "--batch-size", "4");

            Assert.AreEqual(0, run.ExitCode, run.Error);
            Assert.Contains("the first batch of epoch 1", run.Output);
            Assert.IsTrue(File.Exists(png));
        }
        finally
        {
            File.Delete(png);
        }
    }

    [TestMethod]
    public async Task Preview_FolderWithoutSize_BatchesAtTheLibrarysDefaultSize()
    {
        using var data = new TempDataset().WithClasses(2, 2, 40, 30);
        string png = TempPng();
        try
        {
            SampleRun run = await SampleRun.RunAsync("preview", "--data", data.Root, "--out", png, "--batch-size", "4", "--json");

            Assert.AreEqual(0, run.ExitCode, run.Error);
            var defaults = new PipelineOptions();
            StringAssert.StartsWith(run.Json().GetProperty("settings").GetString(), $"{defaults.Width}x{defaults.Height} rgb");
        }
        finally
        {
            File.Delete(png);
        }
    }

    [TestMethod]
    public async Task Preview_OutputFolderMissing_FailsWithOneLine()
    {
        string folder = SampleRun.AbsentPath("absent");

        SampleRun run = await SampleRun.RunAsync("preview", "--out", Path.Combine(folder, "grid.png"));

        run.AssertOneLineError($"--out: the folder '{folder}' does not exist.", ExitCodes.UsageError);
    }

    private static void AssertTilesShowSources(Mat sheet, string[] paths, int tile, int columns, double tolerance)
    {
        for (int i = 0; i < paths.Length; i++)
        {
            using Mat source = Cv2.ImRead(paths[i], ImreadModes.Color);
            using Mat shown = new(sheet, new Rect(Pad + i % columns * (tile + Pad), Pad + i / columns * (tile + Caption + Pad), tile, tile));
            Assert.IsLessThanOrEqualTo(tolerance, Cv2.Norm(source, shown, NormTypes.INF), $"tile {i}: {paths[i]}");
        }
    }

    private static string TempPng()
    {
        string folder = Path.Combine(Path.GetTempPath(), "dataflow-tests");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, Guid.NewGuid().ToString("N") + ".png");
    }
}
