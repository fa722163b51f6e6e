using System.Text.Json;
using System.Text.Json.Nodes;
using Dataflow.Pipeline.Tests.Sources.Coco;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class DumpCommandTests
{
    [TestMethod]
    public async Task Dump_EmbeddedDigits_EachPngIsItsSourceDigitAndEachLabelItsClassFolder()
    {
        string folder = SampleRun.AbsentPath("dump");
        try
        {
            SampleRun run = await SampleRun.RunAsync("dump", "--out", folder, "--batches", "3", "--batch-size", "4", "--json");

            Assert.AreEqual(3, run.Json().GetProperty("batches").GetInt32());
            JsonElement listing = Listing(folder);
            string[] classes = [.. listing.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()!)];
            JsonElement[] rows = [.. listing.GetProperty("rows").EnumerateArray()];
            Assert.HasCount(12, rows);
            CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, rows.Select(r => r.GetProperty("batch").GetInt32()).ToArray());
            Assert.HasCount(12, rows.Select(r => r.GetProperty("id").GetString()).Distinct().ToArray());
            foreach (JsonElement row in rows)
            {
                string id = row.GetProperty("id").GetString()!;
                int label = row.GetProperty("label").GetInt32();
                // The class folder is the label, and its name is the listing's.
                Assert.AreEqual(Path.GetFileName(Path.GetDirectoryName(id)), classes[label], id);
                Assert.AreEqual(classes[label], row.GetProperty("className").GetString());
                // Gray, zero-to-one, no augmentation: the PNG is the source digit, byte for byte, in all three channels.
                using Mat source = Cv2.ImRead(id, ImreadModes.Color);
                using Mat dumped = Cv2.ImRead(Path.Combine(folder, row.GetProperty("image").GetString()!), ImreadModes.Unchanged);
                Assert.AreEqual(MatType.CV_8UC3, dumped.Type(), row.GetProperty("image").GetString());
                Assert.AreEqual(0, Cv2.Norm(source, dumped, NormTypes.INF), id);
            }
        }
        finally
        {
            Delete(folder);
        }
    }

    [TestMethod]
    public async Task Dump_RgbFolderWithFlipAndImageNetNormalization_PngsAreTheMirroredSourcesInTheirColours()
    {
        using var data = new TempDataset().WithClasses(2, 3, 20, 14);
        // Beside the dataset: a folder inside its root would be a class folder.
        using var scratch = new TempDataset();
        string folder = Path.Combine(scratch.Root, "out");

        SampleRun run = await SampleRun.RunAsync("dump", "--data", data.Root, "--out", folder, "--size", "20x14", "--normalization", "imagenet",
            "--flip", "1", "--validation-split", "0", "--batch-size", "6");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        StringAssert.Contains(run.Output, "wrote 6 rows of 1 batches into");
        JsonElement[] rows = [.. Listing(folder).GetProperty("rows").EnumerateArray()];
        Assert.HasCount(6, rows);
        foreach (JsonElement row in rows)
        {
            string id = row.GetProperty("id").GetString()!;
            using Mat source = Cv2.ImRead(id, ImreadModes.Color);
            using Mat mirrored = source.Flip(FlipMode.Y);
            using Mat dumped = Cv2.ImRead(Path.Combine(folder, row.GetProperty("image").GetString()!), ImreadModes.Color);
            // float32 normalisation and back can land one level off.
            Assert.IsLessThanOrEqualTo(1, Cv2.Norm(mirrored, dumped, NormTypes.INF), id);
        }
    }

    [TestMethod]
    public async Task Dump_SameOptionsAsTrain_DumpsTheTrainingSubsetOnly()
    {
        using var data = new TempDataset().WithClasses(2, 10, 8, 8);
        // Beside the dataset: a folder inside its root would be a class folder.
        using var scratch = new TempDataset();
        string folder = Path.Combine(scratch.Root, "out");

        // train's default split holds out 20 % of each class: 16 training rows.
        SampleRun run = await SampleRun.RunAsync("dump", "--data", data.Root, "--out", folder, "--batch-size", "16", "--size", "8x8");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        JsonElement[] rows = [.. Listing(folder).GetProperty("rows").EnumerateArray()];
        Assert.HasCount(16, rows);
        Assert.HasCount(8, rows.Where(r => r.GetProperty("label").GetInt32() == 0).ToArray());
    }

    [TestMethod]
    public async Task Dump_MoreBatchesThanAnEpoch_ContinuesIntoTheNextEpochs()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        // Beside the dataset: a folder inside its root would be a class folder.
        using var scratch = new TempDataset();
        string folder = Path.Combine(scratch.Root, "out");

        SampleRun run = await SampleRun.RunAsync("dump", "--data", data.Root, "--out", folder, "--batch-size", "4", "--size", "8x8",
            "--validation-split", "0", "--batches", "3");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        JsonElement[] rows = [.. Listing(folder).GetProperty("rows").EnumerateArray()];
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, rows.Select(r => r.GetProperty("epoch").GetInt32()).ToArray());
        Assert.HasCount(12, Directory.GetFiles(folder, "*.png"));
    }

    [TestMethod]
    public async Task Dump_CocoFolder_DumpsEveryImageWithItsPixelsAndLargestObjectsClass()
    {
        using var coco = new CocoFiles("val2017");
        coco.Image(7, "a.png", 24, 16).Image(3, "b.png", 24, 16).Image(9, "neg.png", 24, 16).Category(18, "dog").Category(2, "cat")
            .Annotation(1, 3, 2, [2, 3, 6, 5]).Annotation(2, 3, 18, [10, 2, 12, 10]).Annotation(5, 7, 2, [0, 0, 5, 5]);
        coco.Write(Path.Combine("annotations", "instances_val2017.json"));
        using var scratch = new TempDataset();
        string folder = Path.Combine(scratch.Root, "out");

        SampleRun run = await SampleRun.RunAsync("dump", "--data", coco.Root, "--out", folder, "--size", "24x16", "--validation-split", "0", "--batch-size", "3");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        JsonElement listing = Listing(folder);
        CollectionAssert.AreEqual(new[] { "cat", "dog", "(no object)" }, listing.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()).ToArray());
        var labels = listing.GetProperty("rows").EnumerateArray().ToDictionary(r => Path.GetFileName(r.GetProperty("id").GetString()!), r => r.GetProperty("label").GetInt32());
        // b.png's largest box is the dog; a.png has a cat; neg.png nothing.
        CollectionAssert.AreEquivalent(new Dictionary<string, int> { ["a.png"] = 0, ["b.png"] = 1, ["neg.png"] = 2 }, labels);
        foreach (JsonElement row in listing.GetProperty("rows").EnumerateArray())
        {
            string id = row.GetProperty("id").GetString()!;
            Assert.AreEqual(Path.Combine(coco.ImageRoot, Path.GetFileName(id)), id);
            using Mat source = Cv2.ImRead(id, ImreadModes.Color);
            using Mat dumped = Cv2.ImRead(Path.Combine(folder, row.GetProperty("image").GetString()!), ImreadModes.Color);
            Assert.AreEqual(0, Cv2.Norm(source, dumped, NormTypes.INF), id);
        }
    }

    [TestMethod]
    public async Task Dump_CocoFileWithBadAnnotation_FailsWithOneLineNamingIt()
    {
        using var coco = new CocoFiles();
        coco.Image(1, "a.png", 8, 8).Category(1, "cat").Annotation(4, 1, 1, [1, 1, 2, 2], new JsonObject { ["segmentation"] = new JsonArray(new JsonArray(1, 1, 2)) });
        string file = coco.Write();

        SampleRun run = await SampleRun.RunAsync("dump", "--data", file, "--images", coco.ImageRoot, "--out", SampleRun.AbsentPath("dump"));

        run.AssertOneLineError($"COCO file '{file}': 1 problem: annotation 4 (image 1): segmentation polygon 1 has 3 numbers", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Dump_ImagesWithAClassFolderDataset_FailsWithOneLine()
    {
        using var data = new TempDataset().WithClasses(2, 1, 8, 8);

        SampleRun run = await SampleRun.RunAsync("dump", "--data", data.Root, "--images", data.Root, "--out", SampleRun.AbsentPath("dump"));

        run.AssertOneLineError("--images goes with a COCO dataset", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Dump_OutParentMissing_FailsWithOneLine()
    {
        string parent = SampleRun.AbsentPath("absent");

        SampleRun run = await SampleRun.RunAsync("dump", "--out", Path.Combine(parent, "dump"));

        run.AssertOneLineError($"--out: the folder '{parent}' does not exist.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Dump_ZeroBatches_FailsAtParseNamingTheOption()
    {
        SampleRun run = await SampleRun.RunAsync("dump", "--out", SampleRun.AbsentPath("dump"), "--batches", "0");

        run.AssertOneLineError("--batches", ExitCodes.UsageError);
    }

    private static JsonElement Listing(string folder)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, DumpCommand.ListingName)));
        return document.RootElement.Clone();
    }

    private static void Delete(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
