using System.Text.Json;
using System.Text.Json.Nodes;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Tests.Sources.Coco;
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
    public async Task Preview_CocoWithTargets_DrawsBoxesWithNamesMaskOverlaysAndKeypointsWithTheirSkeletonInPlace()
    {
        using var coco = new CocoFiles();
        coco.Category(1, "cat", ["nose", "left_ear", "right_ear"], [[1, 2], [1, 3]]).Category(2, "bird");
        var grey = new Vec3b(100, 100, 100);
        using var plain = new Mat(48, 64, MatType.CV_8UC3, new Scalar(100, 100, 100));
        coco.Image(1, "a.png", 64, 48, plain).Image(2, "neg.png", 64, 48, plain);
        double[][] boxes = [[5, 14, 25, 20], [36, 20, 22, 20]];
        float[] nose = [8, 5], leftEar = [28, 5], rightEar = [18, 42];
        for (int b = 0; b < 2; b++)
        {
            double[] box = boxes[b];
            var extra = new JsonObject
            {
                ["segmentation"] = new JsonArray(new JsonArray(box[0], box[1], box[0] + box[2], box[1], box[0] + box[2], box[1] + box[3], box[0], box[1] + box[3])),
            };
            if (b == 0)
            {
                extra["keypoints"] = new JsonArray(nose[0], nose[1], 2, leftEar[0], leftEar[1], 2, rightEar[0], rightEar[1], 2);
                extra["num_keypoints"] = 3;
            }

            coco.Annotation(b + 1, 1, b + 1, box, extra);
        }

        coco.Write();
        string png = TempPng();
        try
        {
            // At the source's size and twice as large on the sheet: a source pixel (x, y) is the sheet's 2x, 2y from its tile's corner.
            SampleRun run = await SampleRun.RunAsync("preview", "--data", Path.Combine(coco.Root, "instances.json"), "--images", coco.ImageRoot, "--out", png,
                "--size", "64x48", "--tile", "128", "--columns", "2", "--batch-size", "2", "--json");

            Assert.AreEqual(0, run.ExitCode, run.Error);
            string[] paths = [.. run.Json().GetProperty("paths").EnumerateArray().Select(p => Path.GetFileName(p.GetString()!))];
            using Mat sheet = Cv2.ImRead(png, ImreadModes.Color);
            int annotated = Array.IndexOf(paths, "a.png"), negative = Array.IndexOf(paths, "neg.png");
            Assert.IsGreaterThanOrEqualTo(0, annotated);
            Vec3b At(int tile, double x, double y) => sheet.At<Vec3b>(Pad + (int)Math.Floor(2 * y), Pad + tile * (128 + Pad) + (int)Math.Floor(2 * x));
            static Vec3b Colour(Scalar s) => new((byte)s.Val0, (byte)s.Val1, (byte)s.Val2);
            for (int b = 0; b < 2; b++)
            {
                double[] box = boxes[b];
                Vec3b colour = Colour(TargetOverlay.ClassColour(b));
                string what = $"box {b}";
                // The outline: its left, right and bottom edges (the top one carries the caption beside it).
                Assert.AreEqual(colour, At(annotated, box[0], box[1] + box[3] / 2), what + " left edge");
                Assert.AreEqual(colour, At(annotated, box[0] + box[2] - 0.5, box[1] + box[3] / 2), what + " right edge");
                Assert.AreEqual(colour, At(annotated, box[0] + box[2] / 2, box[1] + box[3] - 0.5), what + " bottom edge");
                // Inside: the mask's overlay, the class's colour over the image's grey.
                Vec3b inside = At(annotated, box[0] + box[2] / 2, box[1] + box[3] / 2);
                for (int c = 0; c < 3; c++)
                {
                    double expected = (1 - TargetOverlay.MaskWeight) * grey[c] + TargetOverlay.MaskWeight * colour[c];
                    Assert.AreEqual(expected, inside[c], 1.0, $"{what} mask overlay, channel {c}");
                }

                // The class name above the box, in its colour.
                bool captioned = false;
                for (int y = 1; y <= 10 && !captioned; y++)
                {
                    for (int x = 0; x < 12 && !captioned; x++)
                    {
                        captioned = At(annotated, box[0] + x / 2.0, box[1] - y / 2.0) == colour;
                    }
                }

                Assert.IsTrue(captioned, what + " caption");
                // Nothing of it on the negative image's tile.
                Assert.AreEqual(grey, At(negative, box[0], box[1] + box[3] / 2), what + " on the negative");
            }

            float[][] keypoints = [nose, leftEar, rightEar];
            for (int k = 0; k < 3; k++)
            {
                Assert.AreEqual(Colour(TargetOverlay.KeypointColour(k)), At(annotated, keypoints[k][0], keypoints[k][1]), $"keypoint {k}");
            }

            // The skeleton's bones in the cat's colour: nose to left ear, nose to right ear, at their middles.
            Vec3b cat = Colour(TargetOverlay.ClassColour(0));
            Assert.AreEqual(cat, At(annotated, (nose[0] + leftEar[0]) / 2, nose[1]), "bone nose-left_ear");
            bool bone = false;
            double mx = (nose[0] + rightEar[0]) / 2, my = (nose[1] + rightEar[1]) / 2;
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    bone |= At(annotated, mx + dx / 2.0, my + dy / 2.0) == cat;
                }
            }

            Assert.IsTrue(bone, "bone nose-right_ear");
            // Away from the targets the image is untouched.
            Assert.AreEqual(grey, At(annotated, 45, 5));
            Assert.AreEqual(grey, At(annotated, 60, 45));
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
