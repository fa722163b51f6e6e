using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.MultiLabel;

[TestClass]
public sealed class MultiLabelCsvSampleSourceTests
{
    [TestMethod]
    public async Task Run_CsvWithHeader_BatchesPixelsAndMultiHotRows()
    {
        using var data = new TempDataset();
        string a = data.WriteImage("img/a.png", 24, 16, 1);
        string b = data.WriteImage("img/b,1.png", 24, 16, 2);
        string c = data.WriteImage("img/c.png", 24, 16, 3);
        string csv = Csv(data, "path,labels\nimg/a.png,dog cat\n\"img/b,1.png\",\ncsv/../img/c.png,  bird dog dog \n");
        var options = new PipelineOptions { Width = 24, Height = 16, BatchSize = 4, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.None, Layout = TensorLayout.Nhwc };

        var batches = new List<(Batch Batch, byte[] Pixels)>();
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(new MultiLabelCsvSampleSource())
            .Build(batch => batches.Add((batch, [.. SeenBatch.Copy(batch).Data.Select(v => (byte)v)])));
        pipeline.Post(csv);
        pipeline.Complete();
        await pipeline.Completion;

        (Batch seen, byte[] pixels) = batches.Single();
        CollectionAssert.AreEqual(new[] { a, b, c }, seen.Paths);
        // Classes bird, cat, dog; the label is the lowest class, or (no label) for the row without labels.
        CollectionAssert.AreEqual(new[] { 1, 3, 0 }, seen.Labels);
        BatchTargets targets = seen.Targets!;
        Assert.AreEqual(3, targets.ClassCount);
        CollectionAssert.AreEqual(new float[] { 0, 1, 1, 0, 0, 0, 1, 0, 1 }, targets.MultiHot);
        for (int row = 0; row < 3; row++)
        {
            using Mat expected = ReferenceImages.DecodeResize(seen.Paths[row], 24, 16);
            CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), pixels.AsSpan(row * 24 * 16 * 3, 24 * 16 * 3).ToArray(), seen.Paths[row]);
        }
    }

    [TestMethod]
    public async Task Discover_PipeSeparatorAndGivenClasses_KeepsTheirOrder()
    {
        using var data = new TempDataset();
        data.WriteImage("a.png", 8, 8, 1);
        string csv = Csv(data, "a.png,traffic light|car\n");

        SampleSet set = await new MultiLabelCsvSampleSource(labelSeparator: '|', classNames: ["traffic light", "car", "bus"]).DiscoverAsync([csv], CancellationToken.None);

        CollectionAssert.AreEqual(new[] { "traffic light", "car", "bus", MultiLabelCsvSampleSource.NoLabelClass }, set.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1 }, set.Samples[0].Targets!.Labels!.ToArray());
        Assert.AreEqual(TargetKinds.MultiLabel, set.TargetSchema!.Kinds);
    }

    [TestMethod]
    public async Task Discover_BadRows_EachNamedByLine()
    {
        using var data = new TempDataset();
        data.WriteImage("a.png", 8, 8, 1);
        string csv = Csv(data, "a.png,cat\na.png,dog\nb.png\n,cat\n\"c.png,cat\na.png,cat,dog\na.png,zebra\n");

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new MultiLabelCsvSampleSource(classNames: ["cat", "dog"]).DiscoverAsync([csv], CancellationToken.None));
        Assert.AreEqual($"Multi-label CSV file '{csv}': 6 problems: line 2: 'a.png' is the image of line 1 too; line 3: 1 fields; a row is path,labels; "
            + "line 4: the path is empty; line 5: a quoted field is not closed; line 6: 3 fields; a row is path,labels; line 7: 'a.png' is the image of line 1 too.", e.Message);

        csv = Csv(data, "a.png,zebra\n");
        e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new MultiLabelCsvSampleSource(classNames: ["cat"]).DiscoverAsync([csv], CancellationToken.None));
        Assert.AreEqual($"Multi-label CSV file '{csv}': 1 problem: line 1: label 'zebra' is not one of the 1 classes given.", e.Message);

        csv = Csv(data, "missing.png,cat\n");
        var missing = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => new MultiLabelCsvSampleSource().DiscoverAsync([csv], CancellationToken.None));
        Assert.AreEqual($"Multi-label CSV file '{csv}': 1 image file does not exist: line 1: '{Path.Combine(data.Root, "missing.png")}'.", missing.Message);
    }

    [TestMethod]
    public void Constructor_CommaSeparator_Refused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new MultiLabelCsvSampleSource(labelSeparator: ','));
        Assert.AreEqual("labelSeparator", e.ParamName);
    }

    private static string Csv(TempDataset data, string text) => data.WriteBytes("labels.csv", System.Text.Encoding.UTF8.GetBytes(text));
}
