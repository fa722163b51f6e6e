using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Voc;

[TestClass]
public sealed class VocSampleSourceTests
{
    [TestMethod]
    public async Task Run_SplitList_BatchesItsImagesWithPixelBoxesFlagsAndVocClasses()
    {
        using var data = new TempDataset();
        string a = Image(data, "JPEGImages/2008_000001.jpg", 1);
        string b = Image(data, "JPEGImages/other.png", 2);
        Image(data, "JPEGImages/2008_000003.jpg", 3);
        // A dog on pixels 15..24 x 5..14 (VOC's 16..25 x 6..15), a difficult, truncated cat of one pixel.
        Annotation(data, "2008_000001", Objects(("dog", 16, 6, 25, 15, 0, 0), ("cat", 1, 1, 1, 1, 1, 1)));
        Annotation(data, "2008_000002", Objects(("person", 2, 2, 10, 10, 0, 0)), fileName: "other.png");
        Annotation(data, "2008_000003", Objects(("car", 2, 2, 10, 10, 0, 0)));
        data.WriteBytes("ImageSets/Main/train.txt", "2008_000002\n2008_000001\n"u8.ToArray());
        var options = new PipelineOptions { Width = 40, Height = 20, BatchSize = 4, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.None, Layout = TensorLayout.Nhwc };

        var batches = new List<(Batch Batch, byte[] Pixels)>();
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(new VocSampleSource("train"))
            .Build(batch => batches.Add((batch, [.. SeenBatch.Copy(batch).Data.Select(v => (byte)v)])));
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        (Batch seen, byte[] pixels) = batches.Single();
        CollectionAssert.AreEqual(new[] { b, a }, seen.Paths);
        // person is VOC class 14, dog 11, cat 7; the label is the largest box that is not difficult.
        CollectionAssert.AreEqual(new[] { 14, 11 }, seen.Labels);
        BatchTargets targets = seen.Targets!;
        CollectionAssert.AreEqual(new[] { 1, 2 }, targets.Counts);
        CollectionAssert.AreEqual(new float[] { 1, 1, 10, 10 }, targets.RowBoxes(0).ToArray());
        CollectionAssert.AreEqual(new float[] { 15, 5, 25, 15, 0, 0, 1, 1 }, targets.RowBoxes(1).ToArray());
        CollectionAssert.AreEqual(new[] { 11, 7 }, targets.RowClasses(1).ToArray());
        // Two rows of up to two boxes, padded with -1.
        CollectionAssert.AreEqual(new[] { 0, -1, 0, 1 }, targets.Field("difficult"));
        CollectionAssert.AreEqual(new[] { 0, -1, 0, 1 }, targets.Field("truncated"));
        for (int row = 0; row < 2; row++)
        {
            using Mat expected = ReferenceImages.DecodeResize(seen.Paths[row], 40, 20);
            CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), pixels.AsSpan(row * 40 * 20 * 3, 40 * 20 * 3).ToArray(), seen.Paths[row]);
        }
    }

    [TestMethod]
    public async Task Discover_NamesBeyondVoc_ClassesCollectedInOrdinalOrder()
    {
        using var data = new TempDataset();
        Image(data, "JPEGImages/a.jpg", 1);
        Annotation(data, "a", Objects(("zebra", 1, 1, 5, 5, 0, 0), ("apple", 1, 1, 9, 9, 0, 0)));

        SampleSet set = await new VocSampleSource().DiscoverAsync([data.Root], CancellationToken.None);

        CollectionAssert.AreEqual(new[] { "apple", "zebra", VocSampleSource.NoObjectClass }, set.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { "apple", "zebra" }, set.TargetSchema!.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 0 }, set.Samples[0].Targets!.Boxes!.Classes.ToArray());

        string file = Path.Combine(data.Root, "Annotations", "a.xml");
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new VocSampleSource(classNames: ["apple"]).DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"VOC dataset '{data.Root}': 1 problem: '{file}' line 4: object 1 is a 'zebra', not one of the 1 classes given.", e.Message);
    }

    [TestMethod]
    public async Task Discover_SmallBoxBeforeALargeOne_LabelIsTheLargestBoxsClass()
    {
        using var data = new TempDataset();
        Image(data, "JPEGImages/a.jpg", 1);
        Image(data, "JPEGImages/b.jpg", 2);
        // A 4x4 apple, then a 20x16 pear; in b a large difficult pear, then a small plain apple.
        Annotation(data, "a", Objects(("apple", 1, 1, 4, 4, 0, 0), ("pear", 3, 1, 22, 16, 0, 0)));
        Annotation(data, "b", Objects(("pear", 1, 1, 30, 20, 1, 0), ("apple", 1, 1, 2, 2, 0, 0)));

        SampleSet set = await new VocSampleSource().DiscoverAsync([data.Root], CancellationToken.None);

        CollectionAssert.AreEqual(new[] { "apple", "pear", VocSampleSource.NoObjectClass }, set.ClassNames.ToArray());
        Assert.AreEqual(1, set.Samples[0].Label, "the pear is the larger box");
        Assert.AreEqual(0, set.Samples[1].Label, "a box that is not difficult outranks a difficult one");
    }

    [TestMethod]
    public async Task Discover_MissingSize_FailsNamingTheFile()
    {
        using var data = new TempDataset();
        Image(data, "JPEGImages/a.jpg", 1);
        string file = Annotation(data, "a", Objects(("dog", 1, 1, 5, 5, 0, 0)), size: "");

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new VocSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"VOC dataset '{data.Root}': 1 problem: '{file}' has no <size> (the image's width and height, which the boxes are checked against).", e.Message);
    }

    [TestMethod]
    public async Task Discover_BadObjects_EachNamedByFileLineAndObject()
    {
        using var data = new TempDataset();
        Image(data, "JPEGImages/a.jpg", 1);
        string file = Annotation(data, "a", Objects(("dog", 9, 1, 5, 5, 0, 0), ("cat", 1, 1, 41, 5, 0, 0), ("cow", 1, 1, 5, 5, 2, 0))
            + "<object><name>bird</name></object>\n<object><bndbox><xmin>1</xmin></bndbox></object>\n");

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new VocSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"VOC dataset '{data.Root}': 5 problems: "
            + $"'{file}' line 4: object 1 ('dog'): bndbox (9, 1, 5, 5) is inverted (xmin above xmax or ymin above ymax); "
            + $"'{file}' line 5: object 2 ('cat'): bndbox (1, 1, 41, 5) lies outside its 40x20 image (1 to 40, 1 to 20); "
            + $"'{file}' line 6: object 3 ('cow'): <difficult> and <truncated> must be 0 or 1; "
            + $"'{file}' line 7: object 4 ('bird') has no <bndbox> of four numbers (xmin, ymin, xmax, ymax); "
            + $"'{file}' line 8: object 5 has no <name>.", e.Message);
    }

    [TestMethod]
    public async Task Discover_ListedIdWithoutAnnotationAndMissingImage_NameTheirSource()
    {
        using var data = new TempDataset();
        Annotation(data, "a", Objects(("dog", 1, 1, 5, 5, 0, 0)));
        string list = data.WriteBytes("ImageSets/Main/val.txt", "a\nb -1\n"u8.ToArray());

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new VocSampleSource("val").DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"VOC dataset '{data.Root}' (val): 1 problem: '{list}' line 2: id 'b' has no annotation file '{Path.Combine(data.Root, "Annotations", "b.xml")}'.", e.Message);

        var missing = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => new VocSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        Assert.AreEqual($"VOC dataset '{data.Root}': 1 image file does not exist: '{Path.Combine(data.Root, "Annotations", "a.xml")}': '{Path.Combine(data.Root, "JPEGImages", "a.jpg")}'.", missing.Message);
    }

    private static string Objects(params (string Name, int XMin, int YMin, int XMax, int YMax, int Difficult, int Truncated)[] objects) =>
        string.Concat(objects.Select(o => $"<object><name>{o.Name}</name><truncated>{o.Truncated}</truncated><difficult>{o.Difficult}</difficult>"
            + $"<bndbox><xmin>{o.XMin}</xmin><ymin>{o.YMin}</ymin><xmax>{o.XMax}</xmax><ymax>{o.YMax}</ymax></bndbox></object>\n"));

    /// <summary>Writes Annotations/id.xml: objects start on line 4, one a line.</summary>
    private static string Annotation(TempDataset data, string id, string objects, string? fileName = null, string size = "<size><width>40</width><height>20</height><depth>3</depth></size>")
    {
        string name = fileName is null ? string.Empty : $"<filename>{fileName}</filename>";
        string xml = $"<annotation>\n<folder>VOC2012</folder>{name}\n{size}\n{objects}</annotation>\n";
        return data.WriteBytes(Path.Combine("Annotations", id + ".xml"), System.Text.Encoding.UTF8.GetBytes(xml));
    }

    private static string Image(TempDataset data, string path, int seed) => data.WriteImage(path, 40, 20, seed);
}
