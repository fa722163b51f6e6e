using System.Globalization;
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

    // Channels of 0 or 255 only: a bilinear blend reaches 0 or 255 in a channel only where every pixel it reads has it, so no
    // blend of other colours or of the grey background reads as one of these.
    private static readonly Vec3b[] BoxColours = [new(0, 0, 255), new(0, 255, 0)];

    // Keypoint k of instance i: [2 * i + k]; BGR.
    private static readonly Vec3b[] KeypointColours = [new(255, 0, 0), new(255, 255, 0), new(255, 0, 255), new(0, 255, 255)];

    private static readonly Vec3b Grey = new(100, 100, 100);

    private const int Marker = 9;

    [TestMethod]
    [DataRow("letterbox", "96x96", new[] { "--flip", "1" }, DisplayName = "letterbox, flip")]
    [DataRow("letterbox", "112x80", new[] { "--flip", "0.5", "--vflip", "0.5", "--crop-scale", "0.6" }, DisplayName = "letterbox, flips, random resized crop")]
    [DataRow("stretch", "96x72", new[] { "--crop-scale", "0.5", "--flip", "0.5" }, DisplayName = "stretch, random resized crop, flip")]
    [DataRow("crop", "80x80", new[] { "--vflip", "1" }, DisplayName = "centre crop, vertical flip")]
    [DataRow("torchvision", "88x88", new[] { "--flip", "0.5" }, DisplayName = "shorter side and centre crop, flip")]
    public async Task Dump_CocoWithDrawnTargets_EachBoxKeypointAndMaskSitsOnItsPixelsAndMapsBackToItsAnnotation(string resize, string size, string[] augment)
    {
        using var coco = new CocoFiles("train2017");
        string[] names = ["left_hand", "right_hand"];
        coco.Category(1, "cat", names).Category(2, "dog", names);
        var drawn = new Dictionary<string, (double[][] Boxes, double[][] Keypoints)>(StringComparer.Ordinal);
        (int W, int H)[] sizes = [(160, 120), (120, 160), (128, 128), (150, 100)];
        for (int i = 0; i < sizes.Length; i++)
        {
            (int w, int h) = sizes[i];
            string file = $"img{i}.png";
            // Two large boxes apart from each other, and each instance's two keypoints on the background beside them.
            double[][] boxes = [[Math.Round(0.06 * w), Math.Round(0.08 * h), Math.Round(0.38 * w), Math.Round(0.36 * h)], [Math.Round(0.55 * w), Math.Round(0.45 * h), Math.Round(0.36 * w), Math.Round(0.42 * h)]];
            double[][] points = [[Math.Round(0.12 * w), Math.Round(0.8 * h), Math.Round(0.36 * w), Math.Round(0.8 * h)], [Math.Round(0.62 * w), Math.Round(0.18 * h), Math.Round(0.86 * w), Math.Round(0.18 * h)]];
            using var image = new Mat(h, w, MatType.CV_8UC3, new Scalar(Grey.Item0, Grey.Item1, Grey.Item2));
            for (int b = 0; b < 2; b++)
            {
                double[] box = boxes[b];
                image[new Rect((int)box[0], (int)box[1], (int)box[2], (int)box[3])].SetTo(new Scalar(BoxColours[b].Item0, BoxColours[b].Item1, BoxColours[b].Item2));
                for (int k = 0; k < 2; k++)
                {
                    Vec3b c = KeypointColours[2 * b + k];
                    image[new Rect((int)points[b][2 * k] - Marker / 2, (int)points[b][2 * k + 1] - Marker / 2, Marker, Marker)].SetTo(new Scalar(c.Item0, c.Item1, c.Item2));
                }
            }

            coco.Image(i + 1, file, w, h, image);
            // A marker covers pixels cx − 4 … cx + 4: its centre is cx + 0.5 in continuous pixels.
            double[][] keypoints = [.. points.Select(p => new[] { p[0] + 0.5, p[1] + 0.5, 2, p[2] + 0.5, p[3] + 0.5, 2 })];
            for (int b = 0; b < 2; b++)
            {
                double[] box = boxes[b];
                coco.Annotation(10 * i + b, i + 1, b + 1, box, new JsonObject
                {
                    ["segmentation"] = new JsonArray(new JsonArray(box[0], box[1], box[0] + box[2], box[1], box[0] + box[2], box[1] + box[3], box[0], box[1] + box[3])),
                    ["keypoints"] = new JsonArray([.. keypoints[b].Select(v => (JsonNode)JsonValue.Create(v))]),
                    ["num_keypoints"] = 2,
                });
            }

            drawn[file] = ([.. boxes.Select(b => new[] { b[0], b[1], b[0] + b[2], b[1] + b[3] })], keypoints);
        }

        coco.Write(Path.Combine("annotations", "instances_train2017.json"));
        using var scratch = new TempDataset();
        string folder = Path.Combine(scratch.Root, "out");

        SampleRun run = await SampleRun.RunAsync(["dump", "--data", coco.Root, "--out", folder, "--size", size, "--resize", resize, "--validation-split", "0",
            "--batch-size", "4", "--batches", "3", .. augment]);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        JsonElement listing = Listing(folder);
        Assert.AreEqual("instance", listing.GetProperty("maskValues").GetString());
        JsonElement[] rows = [.. listing.GetProperty("rows").EnumerateArray()];
        Assert.HasCount(12, rows);
        int checkedBoxes = 0, checkedKeypoints = 0;
        foreach (JsonElement row in rows)
        {
            string file = Path.GetFileName(row.GetProperty("id").GetString()!);
            string what = $"{row.GetProperty("image").GetString()} ({file})";
            using Mat png = Cv2.ImRead(Path.Combine(folder, row.GetProperty("image").GetString()!), ImreadModes.Color);
            using Mat mask = Cv2.ImRead(Path.Combine(folder, row.GetProperty("mask").GetString()!), ImreadModes.Unchanged);
            Assert.AreEqual(MatType.CV_8UC1, mask.Type(), what);
            Assert.AreEqual(png.Size(), mask.Size(), what);
            (double[][] sourceBoxes, double[][] sourceKeypoints) = drawn[file];
            JsonElement toSource = row.GetProperty("toSource");
            double[][] m = [.. toSource.GetProperty("matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray())];
            int[] sourceSize = [.. toSource.GetProperty("sourceSize").EnumerateArray().Select(v => v.GetInt32())];
            CollectionAssert.AreEqual(new[] { sizes[int.Parse(file[3..^4], CultureInfo.InvariantCulture)].W, sizes[int.Parse(file[3..^4], CultureInfo.InvariantCulture)].H }, sourceSize, what);
            bool mirrored = toSource.GetProperty("mirrored").GetBoolean();
            // The part of the source the PNG shows, in source pixels (every map here is axis-aligned).
            double[] window = Back(m, [0, 0, png.Width, png.Height], sourceSize);
            float[][] boxes = [.. row.GetProperty("boxes").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
            int[] classes = [.. row.GetProperty("classes").EnumerateArray().Select(c => c.GetInt32())];
            float[][][] keypoints = [.. row.GetProperty("keypoints").EnumerateArray().Select(i => i.EnumerateArray().Select(k => k.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray())];
            Assert.HasCount(boxes.Length, classes, what);
            Assert.HasCount(boxes.Length, keypoints, what);
            Assert.AreEqual(2 - boxes.Length, row.GetProperty("boxesDropped").GetInt32(), what);
            for (int j = 0; j < boxes.Length; j++)
            {
                int b = classes[j];
                float[] box = boxes[j];
                string which = $"{what} box {j} (class {b}) at [{string.Join(", ", box)}]";
                // On its pixels: the bounds of its colour in the PNG.
                Rect2d? bounds = Bounds(png, BoxColours[b]);
                Assert.IsNotNull(bounds, which);
                if (Math.Min(box[2] - box[0], box[3] - box[1]) >= 8)
                {
                    Assert.IsGreaterThanOrEqualTo(0.9, IoU(new Rect2d(box[0], box[1], box[2] - box[0], box[3] - box[1]), bounds.Value), $"{which}: its pixels span {bounds}");
                    checkedBoxes++;
                }

                // Back to the source: the annotation, as far as the PNG shows it, within a pixel.
                double[] back = Back(m, box, sourceSize);
                double[] expected = sourceBoxes[b];
                double[] visible = [Math.Max(expected[0], window[0]), Math.Max(expected[1], window[1]), Math.Min(expected[2], window[2]), Math.Min(expected[3], window[3])];
                for (int c = 0; c < 4; c++)
                {
                    Assert.AreEqual(visible[c], back[c], 1.0, $"{which}: back in the source [{string.Join(", ", back)}], annotated [{string.Join(", ", expected)}]");
                }

                // Its mask: instance id j + 1 where its colour is, ≥ 0.95 agreement over the pixels whose colour says.
                int known = 0, agree = 0, height = png.Height, width = png.Width;
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        Vec3b c = png.At<Vec3b>(y, x);
                        if (c == BoxColours[b] || c == Grey || c == BoxColours[1 - b])
                        {
                            known++;
                            agree += (c == BoxColours[b]) == (mask.At<byte>(y, x) == j + 1) ? 1 : 0;
                        }
                    }
                }

                Assert.IsGreaterThanOrEqualTo(0.95, (double)agree / known, $"{which}: mask agreement");
                for (int k = 0; k < 2; k++)
                {
                    float[] point = keypoints[j][k];
                    // A mirrored row's slot k holds its flip partner's keypoint (left and right hands change places).
                    int drawnK = mirrored ? 1 - k : k;
                    double[] source = [sourceKeypoints[b][3 * drawnK], sourceKeypoints[b][3 * drawnK + 1]];
                    double[] pointBack = Apply(m, point[0], point[1]);
                    Assert.AreEqual(source[0], pointBack[0], 1.0, $"{which} keypoint {k} back in the source");
                    Assert.AreEqual(source[1], pointBack[1], 1.0, $"{which} keypoint {k} back in the source");
                    Rect2d? marker = Bounds(png, KeypointColours[2 * b + drawnK]);
                    bool inside = point[0] >= Marker && point[1] >= Marker && point[0] <= png.Width - Marker && point[1] <= png.Height - Marker;
                    if (point[2] > 0 && inside)
                    {
                        Assert.IsNotNull(marker, $"{which} keypoint {k}");
                        double cx = marker.Value.X + marker.Value.Width / 2, cy = marker.Value.Y + marker.Value.Height / 2;
                        Assert.IsLessThanOrEqualTo(1.5, Math.Sqrt((cx - point[0]) * (cx - point[0]) + (cy - point[1]) * (cy - point[1])),
                            $"{which} keypoint {k} at ({point[0]}, {point[1]}), its marker centred at ({cx}, {cy})");
                        checkedKeypoints++;
                    }
                    else if (point[2] == 0)
                    {
                        Assert.IsFalse(point[0] >= 0 && point[1] >= 0 && point[0] <= png.Width && point[1] <= png.Height, $"{which} keypoint {k} is in the PNG but invisible");
                    }
                }
            }

            // A dropped box's colour has left the PNG.
            foreach (int b in Enumerable.Range(0, 2).Except(classes))
            {
                Rect2d? bounds = Bounds(png, BoxColours[b]);
                Assert.IsTrue(bounds is null || bounds.Value.Width <= 2 || bounds.Value.Height <= 2, $"{what}: box of class {b} dropped but its pixels span {bounds}");
            }
        }

        Assert.IsGreaterThanOrEqualTo(12, checkedBoxes);
        Assert.IsGreaterThanOrEqualTo(12, checkedKeypoints);
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

    /// <summary>A PNG box through a row's 2×3 map back to the source: its corners, their bounds, clipped to the source.</summary>
    private static double[] Back(double[][] m, IReadOnlyList<float> box, int[] sourceSize)
    {
        double[][] corners = [Apply(m, box[0], box[1]), Apply(m, box[2], box[1]), Apply(m, box[0], box[3]), Apply(m, box[2], box[3])];
        return
        [
            Math.Clamp(corners.Min(c => c[0]), 0, sourceSize[0]), Math.Clamp(corners.Min(c => c[1]), 0, sourceSize[1]),
            Math.Clamp(corners.Max(c => c[0]), 0, sourceSize[0]), Math.Clamp(corners.Max(c => c[1]), 0, sourceSize[1]),
        ];
    }

    private static double[] Apply(double[][] m, double x, double y) => [m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2]];

    /// <summary>The bounds (continuous pixels) of the pixels of exactly <paramref name="colour"/>, or null for none.</summary>
    private static Rect2d? Bounds(Mat image, Vec3b colour)
    {
        int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1, height = image.Height, width = image.Width;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (image.At<Vec3b>(y, x) == colour)
                {
                    (x1, y1, x2, y2) = (Math.Min(x1, x), Math.Min(y1, y), Math.Max(x2, x), Math.Max(y2, y));
                }
            }
        }

        return x2 < 0 ? null : new Rect2d(x1, y1, x2 + 1 - x1, y2 + 1 - y1);
    }

    private static double IoU(Rect2d a, Rect2d b)
    {
        double iw = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X));
        double ih = Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        double inter = iw * ih;
        return inter / (a.Width * a.Height + b.Width * b.Height - inter);
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
