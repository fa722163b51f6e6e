using System.Globalization;
using System.Text.Json;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Samples.Commands;
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

        data.WithClasses(3, 4, 20, 20);
        SampleRun run = await SampleRun.RunAsync("augment-preview", "--image", image, "--out", output, "--size", "24", "--count", "2", "--data", data.Root);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        string[] expected = ["source", .. AugmentationStrip.DocsCatalogue.Select(e => e.Name), .. AugmentPreviewCommand.MixedBatches.Select(e => e.Name)];
        CollectionAssert.AreEquivalent(expected.Select(n => n + ".png").ToArray(), Directory.GetFiles(output).Select(Path.GetFileName).ToArray());
        using Mat rotation = Cv2.ImRead(Path.Combine(output, "rotation.png"));
        Assert.AreEqual(new Size(2 * 24 + 4, 24), rotation.Size());
        using Mat mixup = Cv2.ImRead(Path.Combine(output, "mixup.png"));
        Assert.AreEqual(new Size(4 + 8 * (96 + 4), 2 * (4 + 96 + 18 + 4)), mixup.Size(), "two contact sheets of 8 tiles of 96 px, one above the other");
    }

    [TestMethod]
    public async Task AugmentPreview_NoArguments_PicturesTheDocsImageInANewTemporaryFolder()
    {
        // As the README shows it: no --image (the docs' picture, embedded), no --out (never the repository's docs/images).
        SampleRun run = await SampleRun.RunAsync("augment-preview");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        string firstLine = run.Output.Split('\n')[0].TrimEnd('\r');
        Assert.StartsWith("writing the pictures into ", firstLine);
        string folder = firstLine["writing the pictures into ".Length..];
        try
        {
            Assert.StartsWith(Path.GetFullPath(Path.GetTempPath()), folder);
            string[] expected = ["source", .. AugmentationStrip.DocsCatalogue.Select(e => e.Name), .. AugmentPreviewCommand.MixedBatches.Select(e => e.Name)];
            CollectionAssert.AreEquivalent(expected.Select(n => n + ".png").ToArray(), Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
            byte[] docsImage = await File.ReadAllBytesAsync(Path.Combine(Repository.Root, "docs", "images", "augmentation", "fruits.jpg"));
            using Mat fromDocs = await AugmentationStrip.RenderAsync(docsImage, [], 128, 1, 0);
            using Mat written = Cv2.ImRead(Path.Combine(folder, "source.png"));
            Assert.AreEqual(0.0, Cv2.Norm(fromDocs, written, NormTypes.INF), "source.png is the docs' fruits.jpg at 128 px");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public async Task AugmentPreview_Json_OneDocumentNamingTheFolderAndEveryPicture()
    {
        using var data = new TempDataset().WithClasses(3, 4, 20, 20);
        string output = Path.Combine(data.Root, "out");

        SampleRun run = await SampleRun.RunAsync("augment-preview", "--out", output, "--size", "24", "--count", "1", "--data", data.Root, "--json");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        Assert.AreEqual(output, document.RootElement.GetProperty("folder").GetString());
        string[] files = [.. document.RootElement.GetProperty("pictures").EnumerateArray().Select(p => p.GetProperty("file").GetString()!)];
        CollectionAssert.AreEquivalent(Directory.GetFiles(output), files);
        Assert.AreEqual("source", document.RootElement.GetProperty("pictures")[0].GetProperty("transform").GetString());
    }

    [TestMethod]
    public async Task MixedBatchSheet_MixUp_BottomRowIsTheBlendOfTheTopRowAndItsNeighbour()
    {
        using var data = new TempDataset().WithClasses(3, 4, 20, 20);
        (Mat sheet, string label) = await MixedBatchSheet.RenderAsync(data.Root, new MixUp(alpha: 1), 20, 20, seed: 4);
        using (sheet)
        {
            // Tiles at 1:1 scale: tile i of the bottom row is λ·(tile i) + (1 − λ)·(tile i − 1) of the top row, to rounding,
            // with one λ for the batch: fit it by least squares over every tile, then check each tile against it.
            const int Cell = 20 + 4, SheetHeight = 4 + 20 + 18 + 4;
            var tiles = new List<(byte[] Own, byte[] Other, byte[] Mixed)>();
            for (int i = 0; i < MixedBatchSheet.Rows; i++)
            {
                int partner = (i + MixedBatchSheet.Rows - 1) % MixedBatchSheet.Rows;
                using var own = new Mat(sheet, new Rect(4 + i * Cell, 4, 20, 20));
                using var other = new Mat(sheet, new Rect(4 + partner * Cell, 4, 20, 20));
                using var mixed = new Mat(sheet, new Rect(4 + i * Cell, SheetHeight + 4, 20, 20));
                tiles.Add((Bytes(own), Bytes(other), Bytes(mixed)));
            }

            double numerator = 0, denominator = 0;
            foreach (var (own, other, mixed) in tiles)
            {
                for (int k = 0; k < own.Length; k++)
                {
                    numerator += (mixed[k] - other[k]) * (double)(own[k] - other[k]);
                    denominator += (own[k] - other[k]) * (double)(own[k] - other[k]);
                }
            }

            double lambda = numerator / denominator;
            Assert.IsInRange(0.0, 1.0, lambda);
            for (int i = 0; i < tiles.Count; i++)
            {
                var (own, other, mixed) = tiles[i];
                for (int k = 0; k < own.Length; k++)
                {
                    Assert.AreEqual(lambda * own[k] + (1 - lambda) * other[k], mixed[k], 1.5, $"tile {i}, value {k}, lambda {lambda}");
                }
            }

            string ownWeight = lambda.ToString(".00", CultureInfo.InvariantCulture), otherWeight = (1 - lambda).ToString(".00", CultureInfo.InvariantCulture);
            Assert.IsTrue(label.Contains(ownWeight, StringComparison.Ordinal) || label.Contains(otherWeight, StringComparison.Ordinal) || !label.Contains(' ', StringComparison.Ordinal),
                $"label '{label}' for lambda {lambda}");
        }
    }

    private static byte[] Bytes(Mat tile)
    {
        using Mat copy = tile.Clone();
        copy.GetArray(out Vec3b[] pixels);
        return [.. pixels.SelectMany(p => new[] { p.Item0, p.Item1, p.Item2 })];
    }

    [TestMethod]
    public async Task AugmentPreview_MissingImage_FailsWithOneLine()
    {
        SampleRun run = await SampleRun.RunAsync("augment-preview", "--image", "/no/such/file.png");
        run.AssertOneLineError("--image: the file '/no/such/file.png' does not exist.", Dataflow.Samples.Commands.ExitCodes.UsageError);
    }
}
