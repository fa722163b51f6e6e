using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Generators;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class DetectionCommandTests
{
    [TestMethod]
    public async Task MakeDetection_CocoSourceReadsItAndEachBoxIsTheBoundsOfItsDigitsInk()
    {
        string folder = SampleRun.AbsentPath("make-detection");
        try
        {
            SampleRun run = await SampleRun.RunAsync("make-detection", "--out", folder, "--images", "12", "--canvas", "80x64", "--seed", "3", "--json");
            int written = run.Json().GetProperty("boxes").GetInt32();

            SampleSet set = await new CocoSampleSource().DiscoverAsync([folder], CancellationToken.None);

            Assert.HasCount(12, set.Samples);
            CollectionAssert.AreEqual(new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", CocoSampleSource.NoObjectClass }, set.ClassNames.ToArray());
            int boxes = 0;
            foreach (SampleInfo sample in set.Samples)
            {
                using Mat image = Cv2.ImRead(sample.Id, ImreadModes.Unchanged);
                Assert.AreEqual(new Size(80, 64), image.Size(), sample.Id);
                float[] xyxy = sample.Targets!.Boxes!.ToXyxy(image.Size());
                int n = sample.Targets.Boxes.Count;
                Assert.IsTrue(n is >= 1 and <= 4, $"{sample.Id}: {n} digits");
                using var outside = image.Clone();
                for (int b = 0; b < n; b++)
                {
                    var box = Rect.FromLTRB((int)xyxy[4 * b], (int)xyxy[4 * b + 1], (int)xyxy[4 * b + 2], (int)xyxy[4 * b + 3]);
                    Assert.AreEqual(box.Width, xyxy[4 * b + 2] - xyxy[4 * b], "whole pixels");
                    using (var inside = new Mat(image, box))
                    {
                        // Tight: the digit's ink touches all four sides of its box.
                        Assert.AreEqual(new Rect(0, 0, box.Width, box.Height), Cv2.BoundingRect(inside), $"{sample.Id} box {b}");
                    }

                    outside.Rectangle(box, Scalar.Black, -1);
                    Assert.IsTrue(sample.Targets.Boxes.Classes[b] is >= 0 and <= 9);
                }

                // Every ink pixel is inside a box.
                Assert.AreEqual(0, Cv2.CountNonZero(outside), sample.Id);
                boxes += n;
            }

            Assert.AreEqual(written, boxes);
        }
        finally
        {
            Delete(folder);
        }
    }

    [TestMethod]
    public async Task MakeDetection_SameSeedWritesTheSameBytes_AnotherSeedOthers()
    {
        string[] folders = [SampleRun.AbsentPath("make-detection"), SampleRun.AbsentPath("make-detection"), SampleRun.AbsentPath("make-detection")];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                SampleRun run = await SampleRun.RunAsync("make-detection", "--out", folders[i], "--images", "4", "--seed", i < 2 ? "7" : "8");
                Assert.AreEqual(0, run.ExitCode, run.Error);
            }

            string Annotations(int i) => File.ReadAllText(Path.Combine(folders[i], DetectionCanvases.AnnotationPath));
            Assert.AreEqual(Annotations(0), Annotations(1));
            Assert.AreNotEqual(Annotations(0), Annotations(2));
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(folders[0], "train", "000003.png")), File.ReadAllBytes(Path.Combine(folders[1], "train", "000003.png")));
        }
        finally
        {
            foreach (string folder in folders)
            {
                Delete(folder);
            }
        }
    }

    internal static void Delete(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

[TestClass]
public sealed class TrainDetectCommandTests
{
    [TestMethod]
    public async Task TrainDetect_AFewEpochs_ScoreAboveTheUntrainedModelOnTheHeldOutSplit()
    {
        string folder = SampleRun.AbsentPath("train-detect");
        try
        {
            Assert.AreEqual(0, (await SampleRun.RunAsync("make-detection", "--out", folder, "--images", "300", "--seed", "5")).ExitCode);
            string[] common = ["train-detect", "--data", folder, "--json"];

            System.Text.Json.JsonElement untrained = (await SampleRun.RunAsync([.. common, "--epochs", "0"])).Json().GetProperty("evaluation");
            System.Text.Json.JsonElement trained = (await SampleRun.RunAsync([.. common, "--epochs", "30"])).Json().GetProperty("evaluation");

            Assert.AreEqual("validation", trained.GetProperty("subset").GetString());
            Assert.AreEqual(untrained.GetProperty("boxes").GetInt32(), trained.GetProperty("boxes").GetInt32(), "the same held-out images");
            double before = untrained.GetProperty("map50").GetDouble(), after = trained.GetProperty("map50").GetDouble();
            Assert.IsGreaterThan(0.03, after, $"trained mAP@0.5 {after}");
            Assert.IsGreaterThan(3 * before, after, $"trained {after} against untrained {before}");
        }
        finally
        {
            DetectionCommandTests.Delete(folder);
        }
    }

    /// <summary>
    /// Weights saved by a training run and loaded by another with no training give the same predictions, to the last digit,
    /// for the same images, in the source canvases' pixels (96x64 canvases letterboxed into 48x48 tensors).
    /// </summary>
    [TestMethod]
    public async Task TrainDetect_SaveThenLoadWithNoEpochs_PredictsWhatTheTrainingRunPredictedOnTheSourceCanvases()
    {
        string folder = SampleRun.AbsentPath("train-detect");
        string model = Path.Combine(folder, "detector.bin"), trained = Path.Combine(folder, "trained.json"), loaded = Path.Combine(folder, "loaded.json");
        try
        {
            Assert.AreEqual(0, (await SampleRun.RunAsync("make-detection", "--out", folder, "--images", "60", "--canvas", "96x64", "--max-size", "30", "--seed", "4")).ExitCode);
            string[] common = ["train-detect", "--data", folder, "--validation-split", "0", "--json"];

            SampleRun first = await SampleRun.RunAsync([.. common, "--epochs", "8", "--save", model, "--predict", trained]);
            Assert.AreEqual(0, first.ExitCode, first.Error);
            Assert.AreEqual(model, first.Json().GetProperty("savedTo").GetString());
            SampleRun second = await SampleRun.RunAsync([.. common, "--epochs", "0", "--load", model, "--predict", loaded]);
            Assert.AreEqual(0, second.ExitCode, second.Error);
            Assert.AreEqual(model, second.Json().GetProperty("loadedFrom").GetString());
            Assert.AreEqual(first.Json().GetProperty("evaluation").GetProperty("map50").GetDouble(), second.Json().GetProperty("evaluation").GetProperty("map50").GetDouble(), "the same score");

            Dictionary<string, string> Images(string file)
            {
                using System.Text.Json.JsonDocument document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
                return document.RootElement.GetProperty("images").EnumerateArray().ToDictionary(i => i.GetProperty("image").GetString()!, i => i.GetRawText());
            }

            Dictionary<string, string> expected = Images(trained), actual = Images(loaded);
            Assert.HasCount(60, expected);
            CollectionAssert.AreEquivalent(expected.Keys.ToArray(), actual.Keys.ToArray());
            int boxes = 0;
            foreach ((string image, string json) in expected)
            {
                Assert.AreEqual(json, actual[image], $"{image}: the loaded detector's predictions");
                Assert.IsTrue(File.Exists(image), image);
                using System.Text.Json.JsonDocument row = System.Text.Json.JsonDocument.Parse(json);
                Assert.AreEqual((96, 64), (row.RootElement.GetProperty("width").GetInt32(), row.RootElement.GetProperty("height").GetInt32()), image);
                foreach (System.Text.Json.JsonElement box in row.RootElement.GetProperty("boxes").EnumerateArray())
                {
                    float[] b = [.. box.EnumerateArray().Select(v => v.GetSingle())];
                    Assert.IsTrue(b[0] >= 0 && b[1] >= 0 && b[2] <= 96 && b[3] <= 64 && b[0] < b[2] && b[1] < b[3], $"{image}: [{string.Join(", ", b)}] on the 96x64 canvas");
                    boxes++;
                }
            }

            Assert.IsGreaterThan(0, boxes, "the trained detector predicts boxes");

            // predict-detect over a folder of the same images alone (no annotations): the same boxes, classes and scores.
            string photos = Directory.CreateDirectory(Path.Combine(folder, "photos")).FullName, detections = Path.Combine(folder, "detections.json");
            foreach (string image in expected.Keys)
            {
                File.Copy(image, Path.Combine(photos, Path.GetFileName(image)));
            }

            SampleRun predicted = await SampleRun.RunAsync("predict-detect", "--model", model, "--data", photos, "--out", detections, "--json");
            Assert.AreEqual(0, predicted.ExitCode, predicted.Error);
            Assert.AreEqual((60, boxes), (predicted.Json().GetProperty("images").GetInt32(), predicted.Json().GetProperty("boxes").GetInt32()));
            using (System.Text.Json.JsonDocument document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(detections)))
            {
                var byName = expected.ToDictionary(e => Path.GetFileName(e.Key), e => System.Text.Json.JsonDocument.Parse(e.Value).RootElement);
                System.Text.Json.JsonElement[] rows = [.. document.RootElement.GetProperty("images").EnumerateArray()];
                Assert.HasCount(60, rows);
                foreach (System.Text.Json.JsonElement row in rows)
                {
                    string path = row.GetProperty("image").GetString()!;
                    Assert.AreEqual(photos, Path.GetDirectoryName(path));
                    System.Text.Json.JsonElement truth = byName[Path.GetFileName(path)];
                    foreach (string property in new[] { "width", "height", "boxes", "classes", "scores" })
                    {
                        Assert.AreEqual(truth.GetProperty(property).GetRawText(), row.GetProperty(property).GetRawText(), $"{path}: {property}");
                    }

                    CollectionAssert.AreEqual(truth.GetProperty("classes").EnumerateArray().Select(c => c.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                        row.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()).ToArray(), $"{path}: digit classes are named by their digit");
                }
            }

            SampleRun other = await SampleRun.RunAsync([.. common, "--epochs", "0", "--load", model, "--size", "64x64"]);
            Assert.AreNotEqual(0, other.ExitCode);
            StringAssert.Contains(other.Error, "--load: the detector takes [1, 48, 48] inputs (channels, height, width) and this run makes [1, 64, 64]");
        }
        finally
        {
            DetectionCommandTests.Delete(folder);
        }
    }

    [TestMethod]
    public async Task TrainDetect_Predict_LetterboxedTruthMappedBackLandsOnTheSourceAnnotationWithinAPixel()
    {
        string folder = SampleRun.AbsentPath("train-detect");
        string predictions = Path.Combine(folder, "predictions.json");
        try
        {
            // 96x64 canvases into a 48x48 tensor: letterboxed at half scale with 8 rows of padding above and below.
            Assert.AreEqual(0, (await SampleRun.RunAsync("make-detection", "--out", folder, "--images", "6", "--canvas", "96x64", "--max-size", "30", "--seed", "9")).ExitCode);

            SampleRun run = await SampleRun.RunAsync("train-detect", "--data", folder, "--epochs", "0", "--validation-split", "0", "--predict", predictions, "--json");

            Assert.AreEqual(6, run.Json().GetProperty("evaluation").GetProperty("images").GetInt32());
            SampleSet set = await new CocoSampleSource().DiscoverAsync([folder], CancellationToken.None);
            var truth = set.Samples.ToDictionary(s => s.Id, s => (Boxes: s.Targets!.Boxes!.ToXyxy(new Size(96, 64)), Classes: s.Targets.Boxes.Classes.ToArray()));
            using System.Text.Json.JsonDocument document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(predictions));
            System.Text.Json.JsonElement[] images = [.. document.RootElement.GetProperty("images").EnumerateArray()];
            Assert.HasCount(6, images);
            foreach (System.Text.Json.JsonElement image in images)
            {
                (float[] boxes, int[] classes) = truth[image.GetProperty("image").GetString()!];
                Assert.AreEqual(96, image.GetProperty("width").GetInt32());
                Assert.AreEqual(64, image.GetProperty("height").GetInt32());
                CollectionAssert.AreEqual(classes, image.GetProperty("truthClasses").EnumerateArray().Select(c => c.GetInt32()).ToArray());
                float[] back = [.. image.GetProperty("truthBoxes").EnumerateArray().SelectMany(b => b.EnumerateArray().Select(v => v.GetSingle()))];
                Assert.HasCount(boxes.Length, back);
                for (int i = 0; i < boxes.Length; i++)
                {
                    Assert.AreEqual(boxes[i], back[i], 1f, $"{image.GetProperty("image").GetString()} coordinate {i}");
                }

                // Predictions are in the same source pixels: inside the canvas.
                foreach (float v in image.GetProperty("boxes").EnumerateArray().SelectMany(b => b.EnumerateArray().Select(v => v.GetSingle())))
                {
                    Assert.IsTrue(v is >= 0 and <= 96, $"{v}");
                }
            }
        }
        finally
        {
            DetectionCommandTests.Delete(folder);
        }
    }
}
