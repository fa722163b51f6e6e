using System.Text.Json.Nodes;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Coco;

[TestClass]
public sealed class CocoSampleSourceTests
{
    [TestMethod]
    public async Task Run_CocoFolder_BatchesEveryImageWithItsPixelsPathAndLargestObjectsClass()
    {
        using CocoFiles coco = Scene("val2017");
        coco.Write(Path.Combine("annotations", "instances_val2017.json"));
        var options = new PipelineOptions { Width = 24, Height = 16, BatchSize = 8, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.None, Layout = TensorLayout.Nhwc };

        var seen = new List<SeenBatch>();
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(new CocoSampleSource()).Build(b => seen.Add(SeenBatch.Copy(b)));
        pipeline.Post(coco.Root);
        pipeline.Complete();
        await pipeline.Completion;

        PipelineRunner.AssertNothingHeld(pipeline);
        SeenBatch batch = seen.Single();
        string images = Path.Combine(coco.Root, "val2017");
        // Image id order; the images lie in val2017/ beside annotations/ (the COCO layout). At their own size: no resize.
        CollectionAssert.AreEqual(new[] { Path.Combine(images, "b.png"), Path.Combine(images, "a.png"), Path.Combine(images, "neg.png") }, batch.Paths);
        // Image 3's largest box is a dog (class 1 of categories 2 and 18); image 7 has only a cat; image 9 none.
        CollectionAssert.AreEqual(new[] { 1, 0, 2 }, batch.Labels);
        for (int row = 0; row < 3; row++)
        {
            using Mat expected = ReferenceImages.DecodeResize(batch.Paths[row], 24, 16);
            CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), batch.Data.AsSpan(row * 24 * 16 * 3, 24 * 16 * 3).ToArray().Select(v => (byte)v).ToArray(), batch.Paths[row]);
        }

        Assert.IsEmpty(pipeline.Report.Skipped);
    }

    [TestMethod]
    public async Task Discover_AnnotationFile_SamplesCarryBoxesMasksKeypointsAndTheSchema()
    {
        using CocoFiles coco = Scene();
        string file = coco.Write();

        SampleSet set = await new CocoSampleSource(coco.ImageRoot).DiscoverAsync([file], CancellationToken.None);

        CollectionAssert.AreEqual(new[] { "cat", "dog", CocoSampleSource.NoObjectClass }, set.ClassNames.ToArray());
        TargetSchema schema = set.TargetSchema!;
        Assert.AreEqual(TargetKinds.Boxes | TargetKinds.InstanceMasks | TargetKinds.Keypoints, schema.Kinds);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, schema.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { "nose", "left_ear", "right_ear" }, schema.KeypointNames.ToArray());
        CollectionAssert.AreEqual(new[] { (1, 2) }, schema.FlipPairs.ToArray());
        CollectionAssert.AreEqual(new[] { (0, 1), (0, 2) }, schema.Skeleton.ToArray());

        SampleTargets scene = set.Samples[0].Targets!;
        BoundingBoxes boxes = scene.Boxes!;
        Assert.AreEqual(BoxFormat.Xywh, boxes.Format);
        CollectionAssert.AreEqual(new float[] { 2, 3, 6, 5, 10, 2, 12, 10, 1, 1, 4, 4 }, boxes.Coordinates.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 1 }, boxes.Classes.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0, 1 }, boxes.Field("iscrowd").ToArray());
        // Keypoints per box: the cat's are unlabelled (its category has none), the dog's as written.
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 4, 2, 11, 3, 2, 20, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, scene.Keypoints!.Values.ToArray());

        // Masks: the cat's polygon, the dog's none (empty), the crowd's RLE.
        using Mat cat = scene.InstanceMasks![0].Render(new Size(24, 16));
        Assert.AreEqual(6 * 4, Cv2.CountNonZero(cat));
        Assert.AreEqual(1, cat.At<byte>(3, 2));
        Assert.AreEqual(1, cat.At<byte>(6, 7));
        Assert.AreEqual(0, cat.At<byte>(7, 7));
        using Mat dog = scene.InstanceMasks[1].Render(new Size(24, 16));
        Assert.AreEqual(0, Cv2.CountNonZero(dog));
        using Mat crowd = scene.InstanceMasks[2].Render(new Size(24, 16));
        Assert.AreEqual(5, Cv2.CountNonZero(crowd));
        Assert.AreEqual(1, crowd.At<byte>(0, 1));
        Assert.AreEqual(1, crowd.At<byte>(4, 1));

        // The negative: no boxes, and its label is the extra class.
        Assert.AreEqual(0, set.Samples[2].Targets!.Boxes!.Count);
        Assert.AreEqual(2, set.Samples[2].Label);
    }

    [TestMethod]
    public async Task Mask_ImageDecodedAtAnotherSize_FailsNamingTheImage()
    {
        using CocoFiles coco = Scene();
        SampleSet set = await new CocoSampleSource(coco.ImageRoot).DiscoverAsync([coco.Write()], CancellationToken.None);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => set.Samples[0].Targets!.InstanceMasks![0].Render(new Size(20, 16)));
        Assert.AreEqual($"Image 3 ('{Path.Combine(coco.ImageRoot, "b.png")}') decodes to 20x16; the COCO file gives 24x16, which its masks are drawn at.", e.Message);
    }

    [TestMethod]
    public void Locate_FolderWithTwoAnnotationFiles_AsksWhichOne()
    {
        using CocoFiles coco = Scene();
        coco.Write(Path.Combine("annotations", "instances_train2017.json"));
        coco.Write(Path.Combine("annotations", "instances_val2017.json"));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => CocoSampleSource.Locate(coco.Root));
        Assert.AreEqual($"The COCO folder '{coco.Root}' holds 2 annotation files ('instances_train2017.json', 'instances_val2017.json'): name the one to read (its path instead of the folder).", e.Message);
    }

    [TestMethod]
    public void Locate_FileOutsideTheLayout_ImagesAreBesideIt()
    {
        using CocoFiles coco = Scene();
        string file = coco.Write();

        Assert.AreEqual((file, coco.Root), CocoSampleSource.Locate(file));
        Assert.AreEqual((file, coco.ImageRoot), CocoSampleSource.Locate(file, coco.ImageRoot));
    }

    [TestMethod]
    public async Task Run_BadAnnotation_FailsBeforeAnyImageIsReadNamingIt()
    {
        using CocoFiles coco = Scene();
        coco.Annotation(50, 42, 2, [1, 1, 2, 2]);
        string file = coco.Write();
        var options = new PipelineOptions { Width = 8, Height = 8, BatchSize = 2 };

        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(new CocoSampleSource(coco.ImageRoot)).Build(_ => Assert.Fail("no batch"));
        pipeline.Post(file);
        pipeline.Complete();

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => pipeline.Completion);
        Assert.AreEqual($"COCO file '{file}': 1 problem: annotation 50 (image 42): no image has the id 42.", e.Message);
    }

    /// <summary>Three images (ids 3, 7, 9; 9 a negative), categories 2 'cat' and 18 'dog' (with keypoints), a polygon, an RLE crowd.</summary>
    private static CocoFiles Scene(string images = "images")
    {
        var coco = new CocoFiles(images);
        coco.Image(7, "a.png", 24, 16).Image(3, "b.png", 24, 16).Image(9, "neg.png", 24, 16)
            .Category(18, "dog", ["nose", "left_ear", "right_ear"], [[1, 2], [1, 3]]).Category(2, "cat")
            .Annotation(1, 3, 2, [2, 3, 6, 5], new JsonObject { ["segmentation"] = new JsonArray(new JsonArray(2, 3, 7, 3, 7, 6, 2, 6)) })
            .Annotation(2, 3, 18, [10, 2, 12, 10], new JsonObject
            {
                ["keypoints"] = new JsonArray(12, 4, 2, 11, 3, 2, 20, 3, 1), ["num_keypoints"] = 3,
            })
            .Annotation(4, 3, 18, [1, 1, 4, 4], new JsonObject
            {
                ["iscrowd"] = 1,
                // Column 1, rows 0 to 4 of the 16-row image.
                ["segmentation"] = new JsonObject { ["counts"] = new JsonArray(16, 5, 16 * 24 - 21), ["size"] = new JsonArray(16, 24) },
            })
            .Annotation(5, 7, 2, [0, 0, 5, 5]);
        return coco;
    }
}
