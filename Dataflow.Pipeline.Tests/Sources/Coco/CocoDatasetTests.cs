using System.Text.Json.Nodes;
using Dataflow.Pipeline.Sources;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Coco;

[TestClass]
public sealed class CocoDatasetTests
{
    private static readonly string[] PersonKeypoints =
    [
        "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
        "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ];

    [TestMethod]
    public async Task Load_SparseCategoryIds_ClassesAreContiguousInIdOrderWithNames()
    {
        using var coco = new CocoFiles();
        coco.Image(1, "a.png", 20, 10).Category(90, "toothbrush").Category(1, "person").Category(7, "train")
            .Annotation(10, 1, 90, [1, 1, 4, 4]).Annotation(11, 1, 1, [2, 2, 3, 3]).Annotation(12, 1, 7, [0, 0, 5, 5]);

        CocoDataset dataset = await CocoDataset.LoadAsync(coco.Write(), coco.ImageRoot);

        CollectionAssert.AreEqual(new[] { "person", "train", "toothbrush" }, dataset.ClassNames.ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 7, 90 }, dataset.Categories.Select(c => c.Id).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 0, 1 }, dataset.AnnotationsOf(dataset.Images[0]).Select(a => a.Class).ToArray());
    }

    [TestMethod]
    public async Task Load_ImagesWithoutAnnotations_AreKeptAsNegativesInIdOrder()
    {
        using var coco = new CocoFiles();
        coco.Image(5, "five.png", 16, 12).Image(2, "sub/two.png", 8, 8).Image(9, "nine.png", 10, 10).Category(1, "cat")
            .Annotation(100, 5, 1, [1, 2, 3, 4]).Annotation(101, 5, 1, [0, 0, 16, 12]);

        CocoDataset dataset = await CocoDataset.LoadAsync(coco.Write(), coco.ImageRoot);

        CollectionAssert.AreEqual(new long[] { 2, 5, 9 }, dataset.Images.Select(i => i.Id).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 2, 0 }, dataset.Images.Select(i => i.AnnotationCount).ToArray());
        Assert.AreEqual(Path.Combine(coco.ImageRoot, "sub", "two.png"), dataset.Images[0].Path);
        Assert.AreEqual((8, 8), (dataset.Images[0].Width, dataset.Images[0].Height));
        CocoAnnotation[] five = [.. dataset.AnnotationsOf(dataset.Images[1])];
        CollectionAssert.AreEqual(new long[] { 100, 101 }, five.Select(a => a.Id).ToArray());
        Assert.AreEqual((1f, 2f, 3f, 4f), (five[0].X, five[0].Y, five[0].Width, five[0].Height));
        Assert.AreEqual(12.0, five[0].Area);
        Assert.IsEmpty(dataset.Ignored);
    }

    [TestMethod]
    public async Task Load_KeypointCategory_KeepsNamesSkeletonFromZeroAndLeftRightFlipPairs()
    {
        using var coco = new CocoFiles();
        float[] keypoints = new float[3 * 17];
        keypoints[0] = 5; keypoints[1] = 6; keypoints[2] = 2;
        keypoints[3] = 4; keypoints[4] = 5; keypoints[5] = 1;
        coco.Image(1, "p.png", 20, 20).Category(1, "person", PersonKeypoints, [[16, 14], [6, 7]])
            .Annotation(3, 1, 1, [1, 1, 10, 10], new JsonObject { ["keypoints"] = new JsonArray([.. keypoints.Select(k => (JsonNode)k)]), ["num_keypoints"] = 2 })
            .Annotation(4, 1, 1, [2, 2, 5, 5], new JsonObject { ["iscrowd"] = 1 });

        CocoDataset dataset = await CocoDataset.LoadAsync(coco.Write(), coco.ImageRoot);

        CocoCategory person = dataset.Categories[0];
        CollectionAssert.AreEqual(PersonKeypoints, person.KeypointNames.ToArray());
        CollectionAssert.AreEqual(new[] { (15, 13), (5, 6) }, person.Skeleton.ToArray());
        CollectionAssert.AreEqual(new[] { (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16) }, person.FlipPairs.ToArray());
        CocoAnnotation[] annotations = [.. dataset.AnnotationsOf(dataset.Images[0])];
        CollectionAssert.AreEqual(keypoints, annotations[0].Keypoints);
        Assert.IsFalse(annotations[0].IsCrowd);
        Assert.IsTrue(annotations[1].IsCrowd);
    }

    [TestMethod]
    public void FlipPairs_NamesWithoutAPartner_AreNotPaired()
    {
        CollectionAssert.AreEqual(new[] { (0, 2) }, CocoDataset.FlipPairs(["left_hand", "left_foot", "right_hand", "Left_ear", "right_ear", "head"]).ToArray());
    }

    [TestMethod]
    public async Task Masks_PolygonsAndBothRunLengthForms_DrawTheAnnotatedPixels()
    {
        const int height = 9, width = 12;
        // Expected mask: a 4x3 block at x 2..5, y 2..4 and a column at x 9 (pixel (x, y) is at point (x, y), as in pycocotools).
        var expected = new byte[height, width];
        for (int y = 2; y <= 4; y++)
        {
            for (int x = 2; x <= 5; x++)
            {
                expected[y, x] = 1;
            }
        }

        for (int y = 0; y < height; y++)
        {
            expected[y, 9] = 1;
        }

        // Column-major counts, written out by hand from the picture above.
        uint[] counts = [2 * height + 2, 3, 6, 3, 6, 3, 6, 3, 4 + 3 * height, height, 2 * height];
        using var coco = new CocoFiles();
        coco.Image(1, "m.png", width, height).Category(1, "thing")
            .Annotation(1, 1, 1, [2, 0, 8, 9], new JsonObject
            {
                // Two polygons: the block's outline and a thin quad along the column.
                ["segmentation"] = new JsonArray(new JsonArray(2, 2, 5, 2, 5, 4, 2, 4), new JsonArray(9, 0, 9.2, 0, 9.2, 8, 9, 8)),
            })
            .Annotation(2, 1, 1, [2, 0, 8, 9], new JsonObject
            {
                ["iscrowd"] = 1,
                ["segmentation"] = new JsonObject { ["counts"] = new JsonArray([.. counts.Select(c => (JsonNode)c)]), ["size"] = new JsonArray(height, width) },
            })
            .Annotation(3, 1, 1, [2, 0, 8, 9], new JsonObject
            {
                ["segmentation"] = new JsonObject { ["counts"] = CocoRle.Encode(counts), ["size"] = new JsonArray(height, width) },
            });

        CocoDataset dataset = await CocoDataset.LoadAsync(coco.Write(), coco.ImageRoot);

        foreach (CocoAnnotation annotation in dataset.AnnotationsOf(dataset.Images[0]))
        {
            using Mat mask = CocoMasks.Draw(annotation.Segmentation!, height, width, value: 255);
            Assert.AreEqual((height, width, MatType.CV_8UC1), (mask.Rows, mask.Cols, mask.Type()));
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    Assert.AreEqual(expected[y, x] * 255, mask.At<byte>(y, x), $"{annotation}: pixel ({x}, {y})");
                }
            }
        }
    }

    [TestMethod]
    public void Masks_Triangle_FillsEveryPixelInsideAndNoneBeyondItsOutline()
    {
        float[] triangle = [3.2f, 1.7f, 27.9f, 8.4f, 10.1f, 22.6f];
        using Mat mask = CocoMasks.Draw(new CocoSegmentation { Polygons = [triangle] }, 25, 30);

        int checkedPixels = 0;
        for (int y = 0; y < 25; y++)
        {
            for (int x = 0; x < 30; x++)
            {
                double distance = SignedDistance(triangle, x, y);
                // Inside is filled; so are the pixels the 8-connected outline passes through (up to half a diagonal,
                // 0.71 px, outside): those may go either way.
                if (distance > 0 || distance < -0.75)
                {
                    Assert.AreEqual(distance > 0 ? 1 : 0, mask.At<byte>(y, x), $"pixel ({x}, {y}), {distance:F3} px from the edge");
                    checkedPixels++;
                }
            }
        }

        Assert.IsGreaterThan(600, checkedPixels);
    }

    [TestMethod]
    [DataRow("missing image", "annotation 7 (image 99): no image has the id 99")]
    [DataRow("unknown category", "annotation 7 (image 1): category_id 3 is not one of the file's categories")]
    [DataRow("odd polygon", "annotation 7 (image 1): segmentation polygon 1 has 7 numbers (it must be x, y pairs of at least 3 points: an even count from 6)")]
    [DataRow("short polygon", "annotation 7 (image 1): segmentation polygon 2 has 4 numbers")]
    [DataRow("flat polygon", "annotation 7 (image 1): segmentation is a flat list of numbers, not a list of polygons")]
    [DataRow("rle sum", "annotation 7 (image 1): RLE counts sum to 199, not height x width = 10 x 20 = 200")]
    [DataRow("compressed rle sum", "annotation 7 (image 1): RLE counts sum to 201, not height x width = 10 x 20 = 200")]
    [DataRow("rle size", "annotation 7 (image 1): RLE size [20, 10] is not its image's [height, width] [10, 20]")]
    [DataRow("bad rle string", "annotation 7 (image 1): RLE counts are not a COCO compressed string: character '~' at 1")]
    [DataRow("nan box", "annotation 7 (image 1): bbox [1, NaN, 3, 3] holds a value that is not a finite number")]
    [DataRow("negative box", "annotation 7 (image 1): bbox [1, 1, -3, 3] has a negative width or height")]
    [DataRow("outside box", "annotation 7 (image 1): bbox [15, 1, 8, 3] lies outside its 20x10 image")]
    [DataRow("short box", "annotation 7 (image 1): bbox has 3 numbers, not 4 ([x, y, width, height])")]
    [DataRow("keypoint count", "annotation 7 (image 1): keypoints hold 6 numbers; category 1 ('person') has 3 keypoints, 9 numbers (x, y, v each)")]
    [DataRow("num_keypoints", "annotation 7 (image 1): num_keypoints is 3 but 2 keypoints are labelled (v 1 or 2)")]
    [DataRow("visibility", "annotation 7 (image 1): keypoint 2 ('left_eye') is [1, 1, 5] (x and y finite, v 0, 1 or 2)")]
    [DataRow("duplicate annotation", "annotation 6 (image 1): the id appears twice")]
    [DataRow("duplicate image", "image 1 appears twice")]
    [DataRow("no file name", "image 2 has no file_name")]
    [DataRow("duplicate category", "category 1 appears twice")]
    [DataRow("skeleton", "category 1 has a skeleton pair [1, 4] that is not two keypoint numbers from 1 to 3")]
    public async Task Load_BadAnnotation_FailsNamingTheFileAndTheAnnotation(string kind, string expected)
    {
        using var coco = new CocoFiles();
        coco.Image(1, "a.png", 20, 10).Category(1, "person", ["nose", "left_eye", "right_eye"], kind == "skeleton" ? [[1, 4]] : [[2, 3]]);
        coco.Annotation(6, 1, 1, [1, 1, 3, 3]);
        JsonObject Segmentation(JsonNode value) => new() { ["segmentation"] = value };
        JsonObject Rle(JsonNode counts, int h = 10, int w = 20) => Segmentation(new JsonObject { ["counts"] = counts, ["size"] = new JsonArray(h, w) });
        JsonObject Keypoints(float[] values, int num) => new() { ["keypoints"] = new JsonArray([.. values.Select(v => (JsonNode)v)]), ["num_keypoints"] = num };
        switch (kind)
        {
            case "missing image": coco.Annotation(7, 99, 1, [1, 1, 3, 3]); break;
            case "unknown category": coco.Annotation(7, 1, 3, [1, 1, 3, 3]); break;
            case "odd polygon": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Segmentation(new JsonArray(new JsonArray(1, 1, 3, 1, 3, 3, 1)))); break;
            case "short polygon": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Segmentation(new JsonArray(new JsonArray(1, 1, 3, 1, 3, 3), new JsonArray(1, 1, 3, 1)))); break;
            case "flat polygon": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Segmentation(new JsonArray(1, 1, 3, 1, 3, 3))); break;
            case "rle sum": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Rle(new JsonArray(100, 99))); break;
            case "compressed rle sum": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Rle(CocoRle.Encode([100, 101]))); break;
            case "rle size": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Rle(new JsonArray(100, 100), 20, 10)); break;
            case "bad rle string": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Rle("1~")); break;
            case "nan box": coco.Annotation(7, 1, 1, [1, double.NaN, 3, 3]); break;
            case "negative box": coco.Annotation(7, 1, 1, [1, 1, -3, 3]); break;
            case "outside box": coco.Annotation(7, 1, 1, [15, 1, 8, 3]); break;
            case "short box": coco.Annotation(7, 1, 1, [1, 1, 3]); break;
            case "keypoint count": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Keypoints([1, 1, 2, 2, 2, 2], 2)); break;
            case "num_keypoints": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Keypoints([1, 1, 2, 2, 2, 2, 0, 0, 0], 3)); break;
            case "visibility": coco.Annotation(7, 1, 1, [1, 1, 3, 3], Keypoints([1, 1, 2, 1, 1, 5, 0, 0, 0], 2)); break;
            case "duplicate annotation": coco.Annotation(6, 1, 1, [1, 1, 3, 3]); break;
            case "duplicate image": coco.Image(1, "b.png", 20, 10); break;
            case "no file name": coco.Images.Add(new JsonObject { ["id"] = 2, ["width"] = 4, ["height"] = 4 }); break;
            case "duplicate category": coco.Category(1, "again"); break;
        }

        string path = coco.Write();

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => CocoDataset.LoadAsync(path, coco.ImageRoot));
        StringAssert.StartsWith(e.Message, $"COCO file '{path}': 1 problem: {expected}");
    }

    [TestMethod]
    public async Task Load_SeveralBadAnnotations_NamesEachInOneError()
    {
        using var coco = new CocoFiles();
        coco.Image(1, "a.png", 20, 10).Category(1, "cat");
        for (int i = 0; i < 12; i++)
        {
            coco.Annotation(i, 1, 2, [1, 1, 3, 3]);
        }

        string path = coco.Write();

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => CocoDataset.LoadAsync(path, coco.ImageRoot));
        StringAssert.StartsWith(e.Message, $"COCO file '{path}': 12 problems: annotation 0 (image 1): category_id 2 is not one of the file's categories; annotation 1 (image 1)");
        StringAssert.EndsWith(e.Message, "; and 2 more.");
    }

    [TestMethod]
    public async Task Load_ZeroSizeBox_IsPassedOverAndListedWithItsId()
    {
        using var coco = new CocoFiles();
        coco.Image(1, "a.png", 20, 10).Category(1, "cat").Annotation(1, 1, 1, [1, 1, 0, 3]).Annotation(2, 1, 1, [1, 1, 2, 2]);

        CocoDataset dataset = await CocoDataset.LoadAsync(coco.Write(), coco.ImageRoot);

        CollectionAssert.AreEqual(new long[] { 2 }, dataset.Annotations.Select(a => a.Id).ToArray());
        Assert.HasCount(1, dataset.Ignored);
        Assert.AreEqual("a.png", dataset.Ignored[0].Path);
        Assert.AreEqual("annotation 1 (image 1): bbox [1, 1, 0, 3] has zero width or height: no object, passed over", dataset.Ignored[0].Reason);
    }

    [TestMethod]
    public async Task Load_ImageFileMissing_FailsNamingTheImageAndItsPath()
    {
        using var coco = new CocoFiles();
        coco.Image(1, "a.png", 20, 10).Image(4, "gone.png", 20, 10, write: false).Category(1, "cat");
        string path = coco.Write();

        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => CocoDataset.LoadAsync(path, coco.ImageRoot));
        Assert.AreEqual($"COCO file '{path}': 1 of its 2 image files do not exist under '{coco.ImageRoot}': image 4: '{Path.Combine(coco.ImageRoot, "gone.png")}'.", e.Message);
    }

    [TestMethod]
    public async Task Load_NotJson_FailsNamingTheFileAndLine()
    {
        using var coco = new CocoFiles();
        string path = Path.Combine(coco.Root, "broken.json");
        File.WriteAllText(path, "{\"images\": [\n{\"id\": 1,\n\"width\": NaN}]}");

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => CocoDataset.LoadAsync(path, coco.ImageRoot));
        StringAssert.StartsWith(e.Message, $"The COCO annotation file '{path}' is not valid COCO JSON at line 3");
    }

    [TestMethod]
    public async Task Load_FileMissing_FailsNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "dataflow-tests", Guid.NewGuid().ToString("N") + ".json");

        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => CocoDataset.LoadAsync(path, "."));
        Assert.AreEqual($"The COCO annotation file '{path}' does not exist.", e.Message);
    }

    /// <summary>Distance of (x, y) from the triangle's edges: positive inside, negative outside.</summary>
    private static double SignedDistance(float[] t, double x, double y)
    {
        double sign = Math.Sign((t[2] - t[0]) * (t[5] - t[1]) - (t[3] - t[1]) * (t[4] - t[0]));
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            double ax = t[2 * i], ay = t[2 * i + 1], bx = t[(2 * i + 2) % 6], by = t[(2 * i + 3) % 6];
            double length = Math.Sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
            double d = sign * ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / length;
            best = Math.Min(best, d);
        }

        return best;
    }
}
