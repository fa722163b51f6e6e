using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Yolo;

[TestClass]
public sealed class YoloSampleSourceTests
{
    private static readonly PipelineOptions Options = new()
    {
        Width = 40, Height = 20, BatchSize = 8, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.None, Layout = TensorLayout.Nhwc,
    };

    [TestMethod]
    public async Task Run_BoxLabels_BatchesPixelsBoxesInPixelsAndNegatives()
    {
        using var data = new TempDataset();
        WriteYaml(data, "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n");
        string a = Image(data, "images/train/a.png", 1);
        string b = Image(data, "images/train/b.png", 2);
        data.WriteBytes("images/train/notes.md", [1]);
        // a: a dog of 10x10 pixels centred at (20, 10), a cat of 4x2 at (6, 3). b has no label file: a negative.
        Label(data, "labels/train/a.txt", "1 0.5 0.5 0.25 0.5\n\n0 0.15 0.15 0.1 0.1\n");

        (List<(Batch Batch, byte[] Pixels)> batches, ImagePipeline pipeline) = await RunAsync(data.Root, new YoloSampleSource());
        await using ImagePipeline _ = pipeline;

        (Batch batch, byte[] pixels) = batches.Single();
        CollectionAssert.AreEqual(new[] { a, b }, batch.Paths.ToArray());
        // The largest box's class; the negative gets the extra class.
        CollectionAssert.AreEqual(new[] { 1, 2 }, batch.Labels.ToArray());
        BatchTargets targets = batch.Targets!;
        CollectionAssert.AreEqual(new[] { 2, 0 }, targets.Counts);
        CollectionAssert.AreEqual(new float[] { 15, 5, 25, 15, 4, 2, 8, 4 }, targets.RowBoxes(0).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 0 }, targets.RowClasses(0).ToArray());
        for (int row = 0; row < 2; row++)
        {
            using Mat expected = ReferenceImages.DecodeResize(batch.Paths[row], 40, 20);
            CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), pixels.AsSpan(row * 40 * 20 * 3, 40 * 20 * 3).ToArray(), batch.Paths[row]);
        }

        Assert.IsEmpty(pipeline.Report.Skipped);
        Assert.AreEqual(Path.Combine(data.Root, "images", "train", "notes.md"), pipeline.Report.Ignored.Single().Path);
    }

    [TestMethod]
    public async Task Run_SegmentLabels_MaskIsThePolygonAndTheBoxItsBounds()
    {
        using var data = new TempDataset();
        WriteYaml(data, "train: images/train\nnames: [cat, dog]\n");
        Image(data, "images/train/a.png", 1);
        // A square from (10, 5) to (20, 10) pixels.
        Label(data, "labels/train/a.txt", "0 0.25 0.25 0.5 0.25 0.5 0.5 0.25 0.5\n");

        (List<(Batch Batch, byte[] Pixels)> batches, ImagePipeline pipeline) = await RunAsync(data.Root, new YoloSampleSource());
        await using ImagePipeline _ = pipeline;

        BatchTargets targets = batches.Single().Batch.Targets!;
        CollectionAssert.AreEqual(new float[] { 10, 5, 20, 10 }, targets.RowBoxes(0).ToArray());
        ReadOnlySpan<byte> mask = targets.RowInstanceMask(0, 0);
        for (int y = 0; y < 20; y++)
        {
            for (int x = 0; x < 40; x++)
            {
                Assert.AreEqual(x is >= 10 and < 20 && y is >= 5 and < 10 ? 1 : 0, mask[y * 40 + x], $"({x}, {y})");
            }
        }
    }

    [TestMethod]
    public async Task Run_PoseLabelsAndAnImageList_KeypointsInPixelsWithFlipPairs()
    {
        using var data = new TempDataset();
        WriteYaml(data, "path: .\ntrain: images/train\nval: val.txt\nkpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\nnames: [person]\n");
        string b = Image(data, "images/val/b.png", 2);
        Image(data, "images/val/c.png", 3);
        data.WriteBytes("val.txt", "./images/val/b.png\n"u8.ToArray());
        Label(data, "labels/val/b.txt", "0 0.5 0.5 0.5 0.5 0.5 0.5 2 0.25 0.25 1 0 0 0\n");

        var source = new YoloSampleSource("val");
        SampleSet set = await source.DiscoverAsync([Path.Combine(data.Root, "data.yaml")], CancellationToken.None);
        CollectionAssert.AreEqual(new[] { (1, 2) }, set.TargetSchema!.FlipPairs.ToArray());
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, set.TargetSchema.KeypointNames.ToArray());
        Assert.AreEqual(TargetKinds.Boxes | TargetKinds.Keypoints, set.TargetSchema.Kinds);

        (List<(Batch Batch, byte[] Pixels)> batches, ImagePipeline pipeline) = await RunAsync(data.Root, source);
        await using ImagePipeline _ = pipeline;

        Batch batch = batches.Single().Batch;
        // Only the listed image.
        CollectionAssert.AreEqual(new[] { b }, batch.Paths.ToArray());
        CollectionAssert.AreEqual(new float[] { 10, 5, 30, 15 }, batch.Targets!.RowBoxes(0).ToArray());
        CollectionAssert.AreEqual(new float[] { 20, 10, 2, 10, 5, 1, 0, 0, 0 }, batch.Targets.RowKeypoints(0).ToArray());
    }

    [TestMethod]
    public async Task Run_ValueOutsideTheUnitRange_FailsBeforeAnyImageIsReadNamingFileAndLine()
    {
        using var data = new TempDataset();
        string yaml = WriteYaml(data, "train: images/train\nnames: [cat]\n");
        Image(data, "images/train/a.png", 1);
        string label = Label(data, "labels/train/a.txt", "0 0.5 0.5 0.2 0.2\n0 1.5 0.5 0.2 0.2\n");

        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options).UseSource(new YoloSampleSource()).Build(_ => Assert.Fail("no batch"));
        pipeline.Post(data.Root);
        pipeline.Complete();

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => pipeline.Completion);
        Assert.AreEqual($"YOLO dataset '{yaml}' (train): 1 problem: '{label}' line 2: value 1 (1.5) lies outside [0, 1] (YOLO coordinates are normalized by the image's size).", e.Message);
    }

    [TestMethod]
    public async Task Discover_WrongCountUnknownClassAndNotANumber_ListsEachWithFileAndLine()
    {
        (string yaml, string label, string message) = await BadLabelsAsync("names: [cat, dog]\n", "0 0.5 0.5 0.2\n2 0.5 0.5 0.2 0.2\n1 0.5 x 0.2 0.2\n");

        Assert.AreEqual($"YOLO dataset '{yaml}' (train): 3 problems: "
            + $"'{label}' line 1: 3 numbers after the class; a box is class cx cy w h (4 numbers after the class), a segment class x1 y1 x2 y2 x3 y3 … (an even count from 6); "
            + $"'{label}' line 2: class '2' is not one of the 2 class ids of names (0 to 1); "
            + $"'{label}' line 3: value 2 'x' is not a number.", message);
    }

    [TestMethod]
    public async Task Discover_PoseVisibilityAndCount_NameTheLine()
    {
        (string yaml, string label, string message) = await BadLabelsAsync("kpt_shape: [1, 3]\nnames: [person]\n", "0 0.5 0.5 0.2 0.2 0.5 0.5 3\n0 0.5 0.5 0.2 0.2\n");

        Assert.AreEqual($"YOLO dataset '{yaml}' (train): 2 problems: '{label}' line 1: keypoint 0 has visibility 3 (0 not labelled, 1 hidden, 2 visible); "
            + $"'{label}' line 2: 4 numbers after the class; a pose line is class cx cy w h and 1 keypoints of 3 (kpt_shape): 7 numbers after the class.", message);
    }

    [TestMethod]
    public async Task Discover_BoxesAndSegmentsMixed_NamesOneOfEach()
    {
        using var data = new TempDataset();
        string yaml = WriteYaml(data, "train: images/train\nnames: [cat]\n");
        Image(data, "images/train/a.png", 1);
        Image(data, "images/train/b.png", 2);
        string a = Label(data, "labels/train/a.txt", "0 0.5 0.5 0.2 0.2\n");
        string b = Label(data, "labels/train/b.txt", "0 0.1 0.1 0.2 0.1 0.2 0.2\n");

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new YoloSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"YOLO dataset '{yaml}' (train) mixes boxes ('{a}' line 1) and segments ('{b}' line 1): a dataset's label lines are all boxes (class cx cy w h) or all segments (class x1 y1 x2 y2 …).", e.Message);
    }

    [TestMethod]
    public async Task Discover_ListedImageMissing_NamesTheListLine()
    {
        using var data = new TempDataset();
        string yaml = WriteYaml(data, "train: train.txt\nnames: [cat]\n");
        data.WriteBytes("train.txt", "images/a.png\n"u8.ToArray());

        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => new YoloSampleSource().DiscoverAsync([yaml], CancellationToken.None));
        Assert.AreEqual($"YOLO dataset '{yaml}' (train): 1 image file does not exist: '{Path.Combine(data.Root, "train.txt")}' line 1: '{Path.Combine(data.Root, "images", "a.png")}'.", e.Message);
    }

    [TestMethod]
    public async Task Discover_DataYamlWithoutNamesAndWrongNc_NamesTheFileAndKeys()
    {
        using var data = new TempDataset();
        string yaml = WriteYaml(data, "train: images/train\nnc: 2\nnames: {0: cat, 2: dog}\n");

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new YoloSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"YOLO data file '{yaml}': 2 problems: names maps '2' to 'dog'; a map of names has the ids 0 to 1, each once, to a name; nc is 2 but names holds 0 classes.", e.Message);

        WriteYaml(data, "train: images/train\nval: [\n");
        e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new YoloSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        StringAssert.StartsWith(e.Message, $"YOLO data file '{yaml}' is not valid YAML: line ");

        WriteYaml(data, "train: images/train\nnames: [cat]\n");
        e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new YoloSampleSource("val").DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"YOLO data file '{yaml}' has no 'val' split (it has: train).", e.Message);
    }

    [TestMethod]
    public void LabelPath_LastImagesFolder_BecomesLabels()
    {
        string image = Path.Combine("/data", "images", "coco", "images", "train", "a.jpg");
        Assert.AreEqual(Path.Combine("/data", "images", "coco", "labels", "train", "a.txt"), YoloSampleSource.LabelPath(image));
        Assert.AreEqual(Path.Combine("/data", "flat", "a.txt"), YoloSampleSource.LabelPath(Path.Combine("/data", "flat", "a.png")));
    }

    private static async Task<(List<(Batch Batch, byte[] Pixels)> Batches, ImagePipeline Pipeline)> RunAsync(string root, ISampleSource source)
    {
        var batches = new List<(Batch, byte[])>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options).UseSource(source).Build(b =>
        {
            // The image tensor goes back to the pool after the callback; the targets and paths stay readable.
            batches.Add((b, [.. SeenBatch.Copy(b).Data.Select(v => (byte)v)]));
        });
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        return (batches, pipeline);
    }

    /// <summary>Discovers a split of one image whose label file is <paramref name="labels"/>, and returns the error.</summary>
    private static async Task<(string Yaml, string Label, string Message)> BadLabelsAsync(string yaml, string labels)
    {
        using var data = new TempDataset();
        string file = WriteYaml(data, "train: images/train\n" + yaml);
        Image(data, "images/train/a.png", 1);
        string label = Label(data, "labels/train/a.txt", labels);
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new YoloSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        return (file, label, e.Message);
    }

    private static string WriteYaml(TempDataset data, string text) => data.WriteBytes("data.yaml", System.Text.Encoding.UTF8.GetBytes(text));

    private static string Label(TempDataset data, string path, string text) => data.WriteBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    private static string Image(TempDataset data, string path, int seed) => data.WriteImage(path, 40, 20, seed);
}
