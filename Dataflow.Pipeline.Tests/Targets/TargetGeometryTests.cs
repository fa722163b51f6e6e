using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Targets;

/// <summary>
/// Targets checked against the pixels themselves: every box is drawn filled in a colour of its own, every keypoint as a 7×7
/// marker in a colour of its own, and the semantic mask is the boxes' areas; after the real graph (decode with every resize mode,
/// then random chains of the geometric augmentations, many seeds) each target must sit where its colour landed.
/// </summary>
[TestClass]
public sealed class TargetGeometryTests
{
    private const int Boxes = 2;
    private const int PerInstance = 2;
    private const int Marker = 7;
    private static readonly Vec3b Background = new(100, 100, 100);

    private static readonly TargetSchema Schema = new(TargetKinds.Boxes | TargetKinds.Keypoints | TargetKinds.SemanticMask | TargetKinds.InstanceMasks, ["a", "b"])
    {
        KeypointNames = ["left", "right"],
        FlipPairs = [(0, 1)],
    };

    // Colours whose channels are 0 or 255, each with a 255: a bilinear blend reaches a channel's 0 or 255 only when every pixel it
    // reads has it, so no blend of other colours, the grey background or the black fill can ever read as one of them.
    private static readonly Vec3b[] Palette =
        [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(0, 255, 255), new(255, 0, 255), new(255, 255, 0), new(255, 255, 255)];

    private static Vec3b BoxColour(int box) => Palette[box];

    private static Vec3b KeypointColour(int instance, int keypoint) => Palette[Boxes + instance * PerInstance + keypoint];

    public static IEnumerable<object[]> ResizeModes => Enum.GetValues<ResizeMode>().Select(m => new object[] { m });

    [TestMethod]
    [DynamicData(nameof(ResizeModes))]
    public async Task Targets_RandomGeometricChains_SitWhereTheirPixelsLanded(ResizeMode resize)
    {
        using var data = new TempDataset();
        var random = new Random(1234 + (int)resize);
        (SampleSet set, _) = DrawDataset(data.Root, random, 10);
        for (int trial = 0; trial < 6; trial++)
        {
            IAugmentation[] chain = Chain(random, trial);
            string what = $"{resize}, trial {trial}: [{string.Join(", ", chain.Select(a => a.ToString()))}]";
            var options = Options(resize, chain, seed: 100 + trial);
            (List<(Batch Batch, byte[] Pixels)> batches, PipelineReport report) = await RunAsync(options, set);
            int rows = 0, dropped = 0;
            foreach ((Batch batch, byte[] pixels) in batches)
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    dropped += CheckRow(batch, row, pixels, options, $"{what}, {batch.Paths[row]} epoch {batch.Epoch}");
                    rows++;
                }
            }

            Assert.AreEqual(2 * set.Samples.Count, rows, what);
            Assert.AreEqual(dropped, report.DroppedBoxes, $"{what}: the report counts every dropped box");
        }
    }

    /// <summary>A nearest-neighbour decode (OpenCV's resize samples output pixels at their top-left corner): the masks take the same pixels.</summary>
    [TestMethod]
    [DynamicData(nameof(ResizeModes))]
    public async Task Targets_NearestDecode_MasksTakeThePixelsOwnSamples(ResizeMode resize)
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(41 + (int)resize), 6);
        PipelineOptions options = Options(resize, [new RandomHorizontalFlip()], seed: 2, decode: Interpolation.Nearest) with { Epochs = 1 };
        (List<(Batch Batch, byte[] Pixels)> batches, _) = await RunAsync(options, set);
        int w = options.Width, h = options.Height;
        foreach ((Batch batch, byte[] pixels) in batches)
        {
            for (int row = 0; row < batch.Count; row++)
            {
                ReadOnlySpan<byte> image = pixels.AsSpan(row * w * h * 3, w * h * 3);
                ReadOnlySpan<byte> mask = batch.Targets!.RowMask(row);
                int differ = 0;
                for (int p = 0; p < w * h; p++)
                {
                    var c = new Vec3b(image[3 * p], image[3 * p + 1], image[3 * p + 2]);
                    int label = c == BoxColour(0) ? 1 : c == BoxColour(1) ? 2 : 0;
                    differ += mask[p] == label ? 0 : 1;
                }

                Assert.AreEqual(0, differ, $"{resize}, {batch.Paths[row]}: mask pixels that disagree with the image's");
            }
        }
    }

    [TestMethod]
    public async Task Targets_KeypointsMultiLabelAndTextWithoutBoxes_TravelWithTheirRows()
    {
        using var data = new TempDataset();
        var schema = new TargetSchema(TargetKinds.Keypoints | TargetKinds.MultiLabel | TargetKinds.Text, ["cat", "dog", "sky"])
        {
            KeypointNames = ["left", "right"],
            FlipPairs = [(0, 1)],
        };
        var samples = new List<SampleInfo>();
        for (int n = 0; n < 6; n++)
        {
            string path = data.AddImage("all", $"{n}.png", 64, 48, seed: n);
            samples.Add(new SampleInfo(n, path, 0)
            {
                State = File.ReadAllBytes(path),
                Targets = new SampleTargets
                {
                    Keypoints = new Keypoints([10 + n, 20, 2, 50, 30 + n, 2], 1, 2),
                    Labels = n % 2 == 0 ? [0, 2] : [1],
                    Text = n == 3 ? null : $"caption {n}: \"ünïcode\"",
                },
            });
        }

        var set = new SampleSet(["image"], samples) { TargetSchema = schema };
        PipelineOptions options = Options(ResizeMode.Stretch, [new RandomHorizontalFlip()], seed: 8) with { Width = 128, Height = 96, Epochs = 1 };
        (List<(Batch Batch, byte[] Pixels)> batches, _) = await RunAsync(options, set);
        Assert.AreEqual(6, batches.Sum(b => b.Batch.Count));
        foreach ((Batch batch, _) in batches)
        {
            BatchTargets targets = batch.Targets!;
            Assert.IsNull(targets.Masks);
            Assert.ThrowsExactly<InvalidOperationException>(() => targets.RowBoxes(0).ToArray());
            for (int row = 0; row < batch.Count; row++)
            {
                int n = batch.SampleIndices[row];
                Assert.AreEqual(n == 3 ? null : $"caption {n}: \"ünïcode\"", targets.Texts![row], "text untouched, in its row");
                CollectionAssert.AreEqual(n % 2 == 0 ? new[] { 1f, 0f, 1f } : new[] { 0f, 1f, 0f }, targets.MultiHot.AsSpan(3 * row, 3).ToArray());
                Assert.AreEqual(1, targets.Counts[row]);
                // Stretch to twice the size, then maybe mirrored: left and right change places.
                float[] left = [2 * (10 + n), 40], right = [100, 2 * (30 + n)];
                bool mirrored = targets.Geometry[row].Mirrored;
                float[] expected = mirrored
                    ? [128 - right[0], right[1], 2, 128 - left[0], left[1], 2]
                    : [left[0], left[1], 2, right[0], right[1], 2];
                CollectionAssert.AreEqual(expected, targets.RowKeypoints(row).ToArray(), $"row {row} (sample {n}, mirrored {mirrored})");
            }
        }
    }

    [TestMethod]
    public void Finish_MinVisibility_DropsABoxCroppedBelowItAndKeepsTheRest()
    {
        // Two 40x40 boxes; a crop keeps 30% of the first and all of the second.
        var sample = new SampleInfo(0, "a.png", 0)
        {
            Targets = new SampleTargets { Boxes = new BoundingBoxes([0, 0, 40, 40, 50, 10, 90, 50], [0, 1], BoxFormat.Xyxy, new Dictionary<string, int[]> { ["id"] = [0, 1] }) },
        };
        var schema = new TargetSchema(TargetKinds.Boxes, ["a", "b"]);
        foreach ((double min, int kept) in new[] { (0.0, 2), (0.25, 2), (0.35, 1) })
        {
            var decode = new DecodeGeometry { Source = new Size(100, 60) };
            using TargetState state = TargetState.Start(sample, schema, new TargetOptions { MinVisibility = min }, decode, new Size(100, 60));
            state.Apply(Affine2D.Translation(-28, 0), new Size(72, 60));
            RowTargets row = state.Finish();
            Assert.AreEqual(kept, row.Instances, $"MinVisibility {min}");
            Assert.AreEqual(2 - kept, row.Dropped, $"MinVisibility {min}");
            Assert.AreEqual(1, row.Fields[0][^1], "the second box keeps its id");
            CollectionAssert.AreEqual(new[] { 22f, 10f, 62f, 50f }, row.Boxes[^4..], "the second box moved with the crop");
        }
    }

    [TestMethod]
    public async Task Targets_Letterbox_MapBackToTheSourceBoxes()
    {
        using var data = new TempDataset();
        (SampleSet set, Drawn[] drawn) = DrawDataset(data.Root, new Random(7), 6);
        var options = Options(ResizeMode.Letterbox, [], seed: 1) with { Width = 128, Height = 128 };
        (List<(Batch Batch, byte[] Pixels)> batches, _) = await RunAsync(options, set);
        foreach ((Batch batch, _) in batches)
        {
            BatchTargets targets = batch.Targets!;
            for (int row = 0; row < batch.Count; row++)
            {
                SampleInfo sample = set.Samples[batch.SampleIndices[row]];
                float[] back = targets.Geometry[row].BoxesToSource(targets.RowBoxes(row));
                float[] source = sample.Targets!.Boxes!.ToXyxy(drawn[sample.Index].Size);
                Assert.AreEqual(Boxes, targets.Counts[row], sample.Id);
                for (int i = 0; i < back.Length; i++)
                {
                    Assert.AreEqual(source[i], back[i], 1e-3, $"{sample.Id} coordinate {i}");
                }

                Affine2D map = targets.Geometry[row].ToTensor;
                Assert.AreEqual(0, map.M12);
                Assert.AreEqual(map.M11, map.M22, 0.02, "letterbox keeps the aspect ratio (up to rounding to whole pixels)");
            }
        }
    }

    [TestMethod]
    public async Task Targets_UndeclaredAugmentation_IsRefusedNamingIt()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(3), 2);
        var options = Options(ResizeMode.Stretch, [new RandomHorizontalFlip(), new Undeclared()], seed: 1);
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => RunAsync(options, set));
        Assert.AreEqual(
            "Augmentation [1] my-warp does not declare what it does to targets, and the dataset has targets (Boxes, Keypoints, SemanticMask, InstanceMasks): "
            + "implement IAugmentation.TargetBehavior (PixelsOnly, or RecordsGeometry with AugmentationContext.RecordGeometry for each move).", e.Message);
    }

    /// <summary>
    /// A user stage after decode that declares it changes pixel values only runs on a dataset with targets: its pixels are
    /// the stage's (inverted, then flipped), its targets exactly those of the run without it.
    /// </summary>
    [TestMethod]
    [DataRow(StagePosition.AfterDecode)]
    [DataRow(StagePosition.AfterAugment)]
    public async Task Targets_StageDeclaredPixelsOnly_RunsWithTheTargetsOfTheRunWithoutIt(StagePosition position)
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(41), 6);
        PipelineOptions options = Options(ResizeMode.Letterbox, [new RandomHorizontalFlip(), new RandomVerticalFlip()], seed: 5);
        (List<(Batch Batch, byte[] Pixels)> plain, _) = await RunAsync(options, set);
        (List<(Batch Batch, byte[] Pixels)> inverted, _) = await RunAsync(options, set,
            configure: b => b.AddStage(position, "invert", s => Cv2.BitwiseNot(s.Image!, s.Image!), targets: TargetBehavior.PixelsOnly));

        Assert.HasCount(plain.Count, inverted);
        for (int i = 0; i < plain.Count; i++)
        {
            BatchTargets e = plain[i].Batch.Targets!, a = inverted[i].Batch.Targets!;
            string at = $"batch {i}";
            CollectionAssert.AreEqual(plain[i].Batch.Paths, inverted[i].Batch.Paths, at);
            Assert.IsTrue(plain[i].Pixels.Select(p => (byte)(255 - p)).SequenceEqual(inverted[i].Pixels), $"{at}: every pixel the stage's inverse of the plain run's");
            CollectionAssert.AreEqual(e.Counts, a.Counts, at);
            Assert.IsGreaterThan(0, e.Counts.Sum(), $"{at} has boxes");
            CollectionAssert.AreEqual(e.Boxes, a.Boxes, $"{at}: boxes");
            CollectionAssert.AreEqual(e.Classes, a.Classes, $"{at}: classes");
            CollectionAssert.AreEqual(e.Keypoints, a.Keypoints, $"{at}: keypoints");
            Assert.IsTrue(e.Masks.AsSpan().SequenceEqual(a.Masks), $"{at}: masks");
            CollectionAssert.AreEqual(e.Geometry.Select(g => g.ToTensor).ToArray(), a.Geometry.Select(g => g.ToTensor).ToArray(), $"{at}: maps");
        }
    }

    [TestMethod]
    public async Task Targets_StageAfterDecodeUndeclared_RefusedNamingItAndTheDeclaration()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(3), 2);
        var options = Options(ResizeMode.Stretch, [], seed: 1);
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => RunAsync(options, set,
            configure: b => b.AddStage(StagePosition.AfterDecode, "tint", s => { })));
        Assert.AreEqual(
            "The stage 'tint' (AfterDecode) may change the image without moving its targets (Boxes, Keypoints, SemanticMask, InstanceMasks): with targets, a stage after decode or augment "
            + "must change pixel values only and say so (AddStage(position, name, action, TargetBehavior.PixelsOnly)); one that moves pixels is an augmentation that records its geometry.", e.Message);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImagePipeline.CreateBuilder(options)
            .AddStage(StagePosition.AfterDecode, "warp", s => { }, targets: TargetBehavior.RecordsGeometry));
    }

    [TestMethod]
    public async Task Targets_StageDeclaredPixelsOnlyThatResizes_FailsNamingTheStageAndTheSizes()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(3), 2);
        var options = Options(ResizeMode.Stretch, [], seed: 1);
        var e = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => RunAsync(options, set,
            configure: b => b.AddStage(StagePosition.AfterDecode, "shrink", s => s.ReplaceImage(s.Image!.Resize(new Size(100, 90))), targets: TargetBehavior.PixelsOnly)));
        StringAssert.Contains(e.Message, "The stage 'shrink' declared that it changes pixel values only (TargetBehavior.PixelsOnly), but made the 224x192 image 100x90: its targets would no longer match.");
    }

    [TestMethod]
    public async Task Targets_MixUp_IsRefusedNamingTheKinds()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(3), 2);
        var options = Options(ResizeMode.Stretch, [], seed: 1) with { BatchAugmentations = [new MixUp(0.4)] };
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => RunAsync(options, set));
        StringAssert.StartsWith(e.Message, "Batch augmentation [0] MixUp(");
        StringAssert.EndsWith(e.Message, "mixes rows, which is not defined for targets (Boxes, Keypoints, SemanticMask, InstanceMasks): remove it from BatchAugmentations for this dataset.");
    }

    [TestMethod]
    public async Task Targets_AnyParallelism_SameBatchesBitForBit()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(11), 10);
        IAugmentation[] chain = [new RandomResizedCrop((0.3, 1.0)), new RandomHorizontalFlip(), new RandomRotation(25, interpolation: Interpolation.Nearest)];
        PipelineOptions one = Options(ResizeMode.Letterbox, chain, seed: 9) with { Decode = new StageOptions(1, 1), Read = new StageOptions(1, 1) };
        PipelineOptions many = Options(ResizeMode.Letterbox, chain, seed: 9) with { Decode = new StageOptions(4, 16), Read = new StageOptions(3, 6) };
        (List<(Batch Batch, byte[] Pixels)> a, _) = await RunAsync(one, set);
        (List<(Batch Batch, byte[] Pixels)> b, _) = await RunAsync(many, set);
        AssertSameTargets(a, b, "parallelism 1 and 4");
    }

    [TestMethod]
    public async Task Targets_ResumedMidEpoch_SameBatchesAsUninterrupted()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(12), 10);
        IAugmentation[] chain = [new RandomHorizontalFlip(), new RandomAffine((-10, 10), (0.1, 0.1), interpolation: Interpolation.Nearest)];
        PipelineOptions options = Options(ResizeMode.ShorterSideThenCenterCrop, chain, seed: 4);
        (List<(Batch Batch, byte[] Pixels)> whole, _) = await RunAsync(options, set);
        Assert.HasCount(6, whole); // 10 samples in batches of 4, two epochs.
        foreach (int k in new[] { 2, 4 })
        {
            Pipeline.Distributed.PipelineState state = Pipeline.Distributed.PipelineState.Parse(whole[k - 1].Batch.State!.ToBytes());
            (List<(Batch Batch, byte[] Pixels)> rest, _) = await RunAsync(options, set, state);
            AssertSameTargets(whole[k..], rest, $"resumed after {k} batches");
        }
    }

    /// <summary>A large JPEG decoded at a reduction (1/4 here), with a fused crop or a resize mode: the reduction is a step of its own.</summary>
    [TestMethod]
    [DataRow(ResizeMode.Stretch, false)]
    [DataRow(ResizeMode.Letterbox, false)]
    [DataRow(ResizeMode.ShorterSideThenCenterCrop, false)]
    [DataRow(ResizeMode.Stretch, true)]
    public async Task Targets_ReducedJpegDecode_SitWhereTheirPixelsLanded(ResizeMode resize, bool sourceCrop)
    {
        using var data = new TempDataset();
        (SampleSet set, Size size) = LargeJpegs(data.Root, new Random(31), 4);
        IAugmentation[] chain = sourceCrop ? [new RandomResizedCrop((0.5, 1.0)), new RandomHorizontalFlip()] : [new RandomHorizontalFlip()];
        PipelineOptions options = Options(resize, chain, seed: 3);
        Assert.IsGreaterThan(1, options.CreateDecoder(leaveBgr: false).ReductionFor(size.Width, size.Height), "the JPEG is decoded reduced");
        (List<(Batch Batch, byte[] Pixels)> batches, _) = await RunAsync(options, set);
        foreach ((Batch batch, byte[] pixels) in batches)
        {
            BatchTargets targets = batch.Targets!;
            for (int row = 0; row < batch.Count; row++)
            {
                ReadOnlySpan<byte> image = pixels.AsSpan(row * options.Width * options.Height * 3, options.Width * options.Height * 3);
                ReadOnlySpan<float> boxes = targets.RowBoxes(row);
                for (int j = 0; j < targets.Counts[row]; j++)
                {
                    int id = targets.Field("id")[row * targets.MaxInstances + j];
                    (Rect2d? bounds, _) = Bounds(image, options.Width, options.Height, BoxColour(id), tolerance: 60);
                    var box = new Rect2d(boxes[4 * j], boxes[4 * j + 1], boxes[4 * j + 2] - boxes[4 * j], boxes[4 * j + 3] - boxes[4 * j + 1]);
                    string what = $"{resize}{(sourceCrop ? " with a source crop" : "")}, {batch.Paths[row]}: box {id} at {F(box)} but its pixels span {(bounds is null ? "nothing" : F(bounds.Value))}";
                    Assert.IsNotNull(bounds, what);
                    if (Math.Min(box.Width, box.Height) >= 20)
                    {
                        Assert.IsGreaterThanOrEqualTo(0.9, IoU(box, bounds.Value), what);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> 1200×960 JPEG files with two boxes each (large enough to be decoded at a reduction), as a set
    /// with boxes, and their size.
    /// </summary>
    private static (SampleSet Set, Size Size) LargeJpegs(string root, Random random, int count)
    {
        var samples = new List<SampleInfo>();
        var size = new Size(1200, 960);
        for (int n = 0; n < count; n++)
        {
            using var image = new Mat(size, MatType.CV_8UC3, new Scalar(100, 100, 100));
            var taken = new List<Rect>();
            Rect[] boxes = [Place(random, size, taken, random.Next(260, 400), random.Next(260, 400)), Place(random, size, taken, random.Next(260, 400), random.Next(260, 400))];
            Fill(image, boxes[0], BoxColour(0));
            Fill(image, boxes[1], BoxColour(1));
            string path = Path.Combine(root, $"large{n}.jpg");
            Assert.IsTrue(Cv2.ImWrite(path, image, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95)), path);
            samples.Add(new SampleInfo(n, path, 0)
            {
                State = File.ReadAllBytes(path),
                Targets = new SampleTargets
                {
                    Boxes = new BoundingBoxes([.. boxes.SelectMany(b => new float[] { b.X, b.Y, b.Width, b.Height })], [0, 1], BoxFormat.Xywh,
                        new Dictionary<string, int[]> { ["id"] = [0, 1] }),
                },
            });
        }

        return (new SampleSet(["image"], samples) { TargetSchema = new TargetSchema(TargetKinds.Boxes, ["a", "b"]) }, size);
    }

    public static IEnumerable<object[]> PolicyGeometry =>
    [
        ["ShearX", 0.3], ["ShearX", -0.25], ["ShearY", 0.3], ["ShearY", -0.2],
        ["TranslateX", 30.0], ["TranslateX", -45.0], ["TranslateY", 25.0], ["Rotate", 30.0], ["Rotate", -135.0],
    ];

    /// <summary>
    /// The geometric operations of RandAugment, TrivialAugmentWide and AutoAugment, one at a time on drawn pixels (in the graph
    /// their colour operations would change the colours the check reads): each reports the map its pixels took.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(PolicyGeometry))]
    public void PolicyOps_GeometricOperation_TargetsSitWhereTheirPixelsLanded(string name, double magnitude)
    {
        PolicyOperation op = Enum.Parse<PolicyOperation>(name);
        using var data = new TempDataset();
        (SampleSet set, Drawn[] drawn) = DrawDataset(data.Root, new Random(21 + (int)op), 3);
        foreach (SampleInfo sample in set.Samples)
        {
            using Mat bgr = Cv2.ImRead(drawn[sample.Index].Path, ImreadModes.Color);
            Mat image = new();
            Cv2.CvtColor(bgr, image, ColorConversionCodes.BGR2RGB);
            var decode = new DecodeGeometry { Source = image.Size() };
            using TargetState state = TargetState.Start(sample, Schema, TargetOptions.Default, decode, image.Size());
            var context = new AugmentationContext(0, 0, sample.Index) { Targets = state };
            Mat result = PolicyOps.Apply(image, op, magnitude, InterpolationFlags.Nearest, 0, context);
            if (!ReferenceEquals(result, image))
            {
                image.Dispose();
            }

            using (result)
            {
                RowTargets row = state.Finish();
                int w = result.Width, h = result.Height;
                byte[] pixels = new byte[w * h * 3];
                result.AsSpan<byte>().CopyTo(pixels);
                for (int j = 0; j < row.Instances; j++)
                {
                    int id = row.Fields[0][j];
                    (Rect2d? bounds, int count) = Bounds(pixels, w, h, BoxColour(id));
                    var box = new Rect2d(row.Boxes[4 * j], row.Boxes[4 * j + 1], row.Boxes[4 * j + 2] - row.Boxes[4 * j], row.Boxes[4 * j + 3] - row.Boxes[4 * j + 1]);
                    string what = $"{op}({magnitude}) on {sample.Id}: box {id} at {F(box)} but its pixels span {(bounds is null ? "nothing" : F(bounds.Value))}";
                    Assert.IsNotNull(bounds, what);
                    Rect2d b = bounds.Value;
                    Assert.IsLessThanOrEqualTo(1.0, Math.Max(Math.Max(box.Left - b.Left, b.Right - box.Right), Math.Max(box.Top - b.Top, b.Bottom - box.Bottom)), what);
                    bool cut = box.Left <= 0.5 || box.Top <= 0.5 || box.Right >= w - 0.5 || box.Bottom >= h - 0.5;
                    Assert.IsGreaterThanOrEqualTo(cut ? 0.6 : 0.9, IoU(box, b), what);
                    (int agree, int union) = Overlap(pixels, w, h, BoxColour(id), row.InstanceMasks.AsSpan(w * h * j, w * h), 1);
                    Assert.IsGreaterThanOrEqualTo(0.9, (double)agree / union, $"{what}: instance mask");
                }
            }
        }
    }

    [TestMethod]
    public async Task Targets_TwoRanks_EachSampleOnceWithTheTargetsOfOneProcess()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(13), 10);
        IAugmentation[] chain = [new RandomResizedCrop((0.4, 1.0)), new RandomHorizontalFlip(), new RandomRotation(15, interpolation: Interpolation.Nearest)];
        PipelineOptions options = Options(ResizeMode.Stretch, chain, seed: 6);
        Dictionary<(int, int), string> single = Rows((await RunAsync(options, set)).Batches);
        var ranks = new Dictionary<(int, int), string>();
        for (int rank = 0; rank < 2; rank++)
        {
            foreach (KeyValuePair<(int, int), string> row in Rows((await RunAsync(options with { WorldSize = 2, Rank = rank }, set)).Batches))
            {
                Assert.IsTrue(ranks.TryAdd(row.Key, row.Value), $"epoch {row.Key.Item1} sample {row.Key.Item2} reached two ranks");
            }
        }

        CollectionAssert.AreEquivalent(single.Keys.ToArray(), ranks.Keys.ToArray(), "every sample of every epoch reaches one rank");
        foreach (KeyValuePair<(int, int), string> row in single)
        {
            Assert.AreEqual(row.Value, ranks[row.Key], $"epoch {row.Key.Item1} sample {row.Key.Item2}: targets on its rank");
        }
    }

    /// <summary>
    /// Elastic resume: three ranks (separate pipelines placed by the launcher's variables) stop after their first batch of the
    /// first epoch, and two ranks resume from their agreed state and run to the end of the second epoch. Every sample of every
    /// epoch reaches one rank once, with the pixels and every target of the uninterrupted single-process run.
    /// </summary>
    [TestMethod]
    public async Task Targets_StoppedAtWorldThreeResumedAtWorldTwo_EachSampleOnceWithThePixelsAndTargetsOfOneProcess()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(14), 17);
        IAugmentation[] chain = [new RandomResizedCrop((0.4, 1.0)), new RandomHorizontalFlip(), new RandomRotation(15, interpolation: Interpolation.Nearest)];
        PipelineOptions options = Options(ResizeMode.Letterbox, chain, seed: 15) with { BatchSize = 2, ReadLauncherEnvironment = true };
        (List<RankRow> single, _) = await RankAsync(options, set, 0, 1);
        Dictionary<(int, int), string> expected = single.ToDictionary(r => (r.Epoch, r.Index), r => r.Text);
        Assert.HasCount(2 * 17, expected);

        var rows = new List<RankRow>();
        var states = new List<Pipeline.Distributed.PipelineState>();
        for (int rank = 0; rank < 3; rank++)
        {
            (List<RankRow> part, Pipeline.Distributed.PipelineState? state) = await RankAsync(options, set, rank, 3, stopAfter: 1);
            rows.AddRange(part);
            states.Add(Pipeline.Distributed.PipelineState.Parse(state!.ToBytes()));
        }

        Pipeline.Distributed.PipelineState agreed = Pipeline.Distributed.PipelineState.Agreed([.. states]);
        Assert.AreEqual((0, 6L), (agreed.Epoch, agreed.Position), "three ranks stopped after a batch of two: six samples of the first epoch done");
        for (int rank = 0; rank < 2; rank++)
        {
            (List<RankRow> rest, _) = await RankAsync(options, set, rank, 2, agreed);
            rows.AddRange(rest);
        }

        var twice = rows.GroupBy(r => (r.Epoch, r.Index)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.IsEmpty(twice, $"delivered twice: {string.Join(", ", twice)}");
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), rows.Select(r => (r.Epoch, r.Index)).ToArray(), "every sample of both epochs once");
        foreach (RankRow row in rows)
        {
            Assert.AreEqual(expected[(row.Epoch, row.Index)], row.Text, $"epoch {row.Epoch} sample {row.Index}: pixels and targets as in one process");
        }
    }

    /// <summary>
    /// The decoded-image cache at the target size, in memory and in a kept file (the next run served from its first epoch):
    /// over two epochs the batches' pixels, boxes, keypoints, masks and maps are bit-identical to an uncached run's.
    /// </summary>
    [TestMethod]
    [DataRow(ResizeMode.Letterbox, false)]
    [DataRow(ResizeMode.ShorterSideThenCenterCrop, false)]
    [DataRow(ResizeMode.Stretch, true)]
    public async Task Targets_DecodedImageCache_SameBatchesAsUncachedBitForBit(ResizeMode resize, bool inFile)
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(15 + (int)resize), 9);
        IAugmentation[] chain = [new RandomHorizontalFlip(), new RandomRotation(20, interpolation: Interpolation.Nearest), new RandomCrop(padding: 8)];
        // One decode worker, as the cache's own tests: a sample's visit in the second epoch then always finds what the first
        // stored, so the hit count is exact (with two, its next visit can overtake its first and decode again).
        PipelineOptions options = Options(resize, chain, seed: 10) with { Decode = new StageOptions(1, 2) };
        (List<(Batch Batch, byte[] Pixels)> uncached, _) = await RunAsync(options, set);
        string folder = Directory.CreateDirectory(Path.Combine(data.Root, "cache")).FullName;
        DecodedImageCacheOptions cache = inFile ? new() { Folder = folder, KeepFile = true, MemoryBudgetBytes = 0 } : new();
        (List<(Batch Batch, byte[] Pixels)> cached, PipelineReport report) = await RunAsync(options with { Cache = cache }, set);
        AssertSameTargets(uncached, cached, $"{resize}, cached {(inFile ? "in a file" : "in memory")}");
        Assert.AreEqual((9L, 9L), (report.Cache!.Stored, report.Cache.Hits), "stored in the first epoch, served in the second");
        if (inFile)
        {
            (List<(Batch Batch, byte[] Pixels)> kept, PipelineReport again) = await RunAsync(options with { Cache = cache }, set);
            AssertSameTargets(uncached, kept, $"{resize}, served from the kept file");
            Assert.AreEqual((0L, 18L), (again.Cache!.Stored, again.Cache.Hits), "every sample of both epochs served from the kept file");
        }
    }

    /// <summary>Large JPEGs decoded at a reduction, cached in a kept file: the reduction's step comes back from the file with the pixels.</summary>
    [TestMethod]
    public async Task Targets_DecodedImageCacheOverReducedJpegDecodes_SameBatchesAsUncachedBitForBit()
    {
        using var data = new TempDataset();
        (SampleSet set, Size size) = LargeJpegs(data.Root, new Random(33), 5);
        PipelineOptions options = Options(ResizeMode.Letterbox, [new RandomHorizontalFlip(), new RandomRotation(20, interpolation: Interpolation.Nearest)], seed: 7);
        Assert.IsGreaterThan(1, options.CreateDecoder(leaveBgr: false).ReductionFor(size.Width, size.Height), "the JPEG is decoded reduced");
        (List<(Batch Batch, byte[] Pixels)> uncached, _) = await RunAsync(options, set);
        string folder = Directory.CreateDirectory(Path.Combine(data.Root, "cache")).FullName;
        PipelineOptions cached = options with { Cache = new DecodedImageCacheOptions { Folder = folder, KeepFile = true, MemoryBudgetBytes = 0 } };
        (List<(Batch Batch, byte[] Pixels)> first, _) = await RunAsync(cached, set);
        (List<(Batch Batch, byte[] Pixels)> kept, PipelineReport report) = await RunAsync(cached, set);
        AssertSameTargets(uncached, first, "stored and served in one run");
        AssertSameTargets(uncached, kept, "served from the kept file");
        Assert.AreEqual(10L, report.Cache!.Hits, "every sample of both epochs served from the kept file");
    }

    /// <summary>A cache larger than the target with a source crop on the cached image: the targets take the crop's step with the pixels.</summary>
    [TestMethod]
    public async Task Targets_LargerCacheWithSourceCrop_SitWhereTheirPixelsLanded()
    {
        using var data = new TempDataset();
        (SampleSet set, _) = DrawDataset(data.Root, new Random(16), 8);
        IAugmentation[] chain = [new RandomResizedCrop((0.4, 1.0)), new RandomHorizontalFlip(), new RandomRotation(15, interpolation: Interpolation.Nearest)];
        // One decode worker: the second epoch's visits always find what the first stored (the hit count is exact).
        PipelineOptions options = Options(ResizeMode.Stretch, chain, seed: 12) with { Cache = new DecodedImageCacheOptions { Width = 320, Height = 288 }, Decode = new StageOptions(1, 2) };
        (List<(Batch Batch, byte[] Pixels)> batches, PipelineReport report) = await RunAsync(options, set);
        Assert.AreEqual(8L, report.Cache!.Hits, "the second epoch served from the cache");
        int dropped = 0;
        foreach ((Batch batch, byte[] pixels) in batches)
        {
            for (int row = 0; row < batch.Count; row++)
            {
                dropped += CheckRow(batch, row, pixels, options, $"cached at 320x288, {batch.Paths[row]} epoch {batch.Epoch}");
            }
        }

        Assert.AreEqual(dropped, report.DroppedBoxes);
    }

    /// <summary>A real (not padding) row a rank was handed: its epoch, sample index, and pixels and targets written out.</summary>
    private sealed record RankRow(int Epoch, int Index, string Text);

    /// <summary>
    /// Rank <paramref name="rank"/> of <paramref name="worldSize"/>, its own pipeline placed by the launcher's variables, for at
    /// most <paramref name="stopAfter"/> batches: its real rows and the state after its last batch.
    /// </summary>
    private static async Task<(List<RankRow> Rows, Pipeline.Distributed.PipelineState? State)> RankAsync(PipelineOptions options, SampleSet set, int rank, int worldSize,
        Pipeline.Distributed.PipelineState? resume = null, int stopAfter = int.MaxValue)
    {
        var variables = new Dictionary<string, string> { ["RANK"] = $"{rank}", ["WORLD_SIZE"] = $"{worldSize}" };
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options).UseSource(new InMemorySampleSource(set)).UseEnvironment(variables.GetValueOrDefault);
        if (resume is not null)
        {
            builder.ResumeFrom(resume);
        }

        var rows = new List<RankRow>();
        Pipeline.Distributed.PipelineState? state = null;
        int batches = 0;
        await using (ImagePipeline pipeline = builder.BuildStream())
        {
            Assert.AreEqual((rank, worldSize), (pipeline.Report.Placement!.Rank, pipeline.Report.Placement.WorldSize), "placed by the launcher's variables");
            pipeline.Post("in-memory");
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync())
            {
                using (batch)
                {
                    for (int row = 0; row < batch.Count; row++)
                    {
                        if (batch.Weights[row] == 1f)
                        {
                            rows.Add(new RankRow(batch.Epoch, batch.SampleIndices[row], RowText(batch, row)));
                        }
                    }

                    state = batch.State;
                }

                if (++batches == stopAfter)
                {
                    break;
                }
            }

            if (stopAfter == int.MaxValue)
            {
                await pipeline.Completion;
                Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
            }
        }

        return (rows, state);
    }

    /// <summary>One row's pixels and every target (boxes, classes, ids, keypoints, masks, map, drops), written out.</summary>
    private static string RowText(Batch batch, int row)
    {
        BatchTargets t = batch.Targets!;
        static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));
        int count = t.Counts[row];
        var instances = new List<string>();
        for (int j = 0; j < count; j++)
        {
            instances.Add(Hash(t.RowInstanceMask(row, j)));
        }

        return $"{Hash(batch.ByteRow(row))}|{string.Join(",", t.RowBoxes(row).ToArray())}|{string.Join(",", t.RowClasses(row).ToArray())}"
            + $"|{string.Join(",", t.Field("id").AsSpan(row * t.MaxInstances, count).ToArray())}|{string.Join(",", t.RowKeypoints(row).ToArray())}"
            + $"|{Hash(t.RowMask(row))}|{string.Join(",", instances)}|{t.Geometry[row].ToTensor}|{t.Geometry[row].Mirrored}|{t.Dropped[row]}";
    }

    /// <summary>Each row's targets, written out, by (epoch, sample index).</summary>
    private static Dictionary<(int, int), string> Rows(List<(Batch Batch, byte[] Pixels)> batches)
    {
        var rows = new Dictionary<(int, int), string>();
        foreach ((Batch batch, _) in batches)
        {
            BatchTargets t = batch.Targets!;
            for (int row = 0; row < batch.Count; row++)
            {
                string text = string.Join(",", t.RowBoxes(row).ToArray()) + "|" + string.Join(",", t.RowKeypoints(row).ToArray()) + "|"
                    + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(t.RowMask(row))) + "|" + t.Geometry[row].ToTensor;
                rows[(batch.Epoch, batch.SampleIndices[row])] = text;
            }
        }

        return rows;
    }

    private static void AssertSameTargets(IReadOnlyList<(Batch Batch, byte[] Pixels)> expected, IReadOnlyList<(Batch Batch, byte[] Pixels)> actual, string what)
    {
        Assert.HasCount(expected.Count, actual, what);
        for (int i = 0; i < expected.Count; i++)
        {
            BatchTargets e = expected[i].Batch.Targets!, a = actual[i].Batch.Targets!;
            string at = $"{what}, batch {i}";
            CollectionAssert.AreEqual(expected[i].Batch.Paths, actual[i].Batch.Paths, at);
            Assert.IsTrue(expected[i].Pixels.AsSpan().SequenceEqual(actual[i].Pixels), $"{at}: pixels");
            CollectionAssert.AreEqual(e.Counts, a.Counts, at);
            CollectionAssert.AreEqual(e.Boxes, a.Boxes, $"{at}: boxes");
            CollectionAssert.AreEqual(e.Classes, a.Classes, $"{at}: classes");
            CollectionAssert.AreEqual(e.Field("id"), a.Field("id"), $"{at}: ids");
            CollectionAssert.AreEqual(e.Keypoints, a.Keypoints, $"{at}: keypoints");
            Assert.IsTrue(e.Masks.AsSpan().SequenceEqual(a.Masks), $"{at}: masks");
            Assert.IsTrue(e.InstanceMasks.AsSpan().SequenceEqual(a.InstanceMasks), $"{at}: instance masks");
            CollectionAssert.AreEqual(e.Geometry.Select(g => g.ToTensor).ToArray(), a.Geometry.Select(g => g.ToTensor).ToArray(), $"{at}: maps");
        }
    }

    private sealed class Undeclared : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context) => image;

        public override string ToString() => "my-warp";
    }

    // The decoder resizes bilinearly (centre-aligned, as the targets' geometry; OpenCV's nearest resize reads each output pixel's
    // top-left corner and so shifts content by up to a pixel); the warps use nearest neighbour, so that colours stay pure.
    private static PipelineOptions Options(ResizeMode resize, IReadOnlyList<IAugmentation> chain, long seed, Interpolation decode = Interpolation.Bilinear) => new()
    {
        Width = 224,
        Height = 192,
        ResizeMode = resize,
        Interpolation = decode,
        Augmentations = chain,
        Normalization = NormalizationOptions.None,
        Output = TensorElementType.UInt8,
        Layout = TensorLayout.Nhwc,
        BatchSize = 4,
        Epochs = 2,
        Seed = seed,
        ErrorPolicy = ErrorPolicy.FailFast,
        Decode = new StageOptions(2, 8),
    };

    /// <summary>A random chain of the geometric augmentations; even trials start with a source crop (fused with the decode).</summary>
    private static IAugmentation[] Chain(Random random, int trial)
    {
        Func<IAugmentation>[] pool =
        [
            () => new RandomHorizontalFlip(0.5),
            () => new RandomVerticalFlip(0.5),
            () => new RandomCrop(padding: 10),
            () => new CenterCrop(0.8),
            () => new RandomResizedCrop((0.3, 1.0)),
            () => new RandomRotation(30, interpolation: Interpolation.Nearest),
            () => new RandomAffine((-15, 15), (0.1, 0.1), (0.8, 1.2), (-10, 10), interpolation: Interpolation.Nearest),
            () => new RandomApply(0.5, new RandomHorizontalFlip(1.0), new RandomRotation(20, interpolation: Interpolation.Nearest)),
            () => new OneOf(new RandomVerticalFlip(1.0), new RandomCrop(padding: 6)),
        ];
        var chain = new List<IAugmentation>();
        if (trial % 2 == 0)
        {
            chain.Add(random.Next(2) == 0 ? new RandomResizedCrop((0.4, 1.0)) : new CenterCrop(0.7));
        }

        int count = 1 + random.Next(4);
        for (int i = 0; i < count; i++)
        {
            chain.Add(pool[random.Next(pool.Length)]());
        }

        return [.. chain];
    }

    private static async Task<(List<(Batch, byte[])> Batches, PipelineReport Report)> RunAsync(PipelineOptions options, SampleSet set,
        Pipeline.Distributed.PipelineState? resume = null, Action<ImagePipelineBuilder>? configure = null)
    {
        var batches = new List<(Batch, byte[])>();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options).UseSource(new InMemorySampleSource(set));
        if (resume is not null)
        {
            builder.ResumeFrom(resume);
        }

        configure?.Invoke(builder);

        ImagePipeline pipeline = builder.Build(b => batches.Add((b, b.ByteData.ToArray())));
        pipeline.Post("in-memory");
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        return (batches, pipeline.Report);
    }

    /// <summary>What was drawn into one image, in its source pixels.</summary>
    private sealed record Drawn(string Path, Size Size, Rect[] Boxes, Point[] Keypoints);

    /// <summary>Draws <paramref name="count"/> PNG files with boxes and keypoints at random places and returns their set.</summary>
    private static (SampleSet Set, Drawn[] Drawn) DrawDataset(string root, Random random, int count)
    {
        var samples = new List<SampleInfo>();
        var drawings = new List<Drawn>();
        for (int n = 0; n < count; n++)
        {
            var size = new Size(random.Next(240, 380), random.Next(200, 320));
            using var image = new Mat(size, MatType.CV_8UC3, new Scalar(Background.Item0, Background.Item1, Background.Item2));
            var taken = new List<Rect>();
            var boxes = new Rect[Boxes];
            for (int i = 0; i < Boxes; i++)
            {
                boxes[i] = Place(random, size, taken, random.Next(48, 92), random.Next(48, 92));
                Fill(image, boxes[i], BoxColour(i));
            }

            var keypoints = new Point[Boxes * PerInstance];
            for (int i = 0; i < keypoints.Length; i++)
            {
                Rect marker = Place(random, size, taken, Marker, Marker);
                keypoints[i] = new Point(marker.X + Marker / 2, marker.Y + Marker / 2);
                Fill(image, marker, KeypointColour(i / PerInstance, i % PerInstance));
            }

            string path = Path.Combine(root, $"drawn{n}.png");
            Assert.IsTrue(Cv2.ImWrite(path, image), path);
            byte[] bytes = File.ReadAllBytes(path);
            float[] coordinates = [.. boxes.SelectMany(b => new float[] { b.X, b.Y, b.Right, b.Bottom })];
            float[] points = [.. keypoints.SelectMany(p => new float[] { p.X + 0.5f, p.Y + 0.5f, 2 })];
            var label = new byte[size.Width * size.Height];
            for (int i = 0; i < Boxes; i++)
            {
                for (int y = boxes[i].Top; y < boxes[i].Bottom; y++)
                {
                    label.AsSpan(y * size.Width + boxes[i].Left, boxes[i].Width).Fill((byte)(i + 1));
                }
            }

            var targets = new SampleTargets
            {
                Boxes = new BoundingBoxes(coordinates, [0, 1], BoxFormat.Xyxy, new Dictionary<string, int[]> { ["id"] = [0, 1] }),
                Keypoints = new Keypoints(points, Boxes, PerInstance),
                SemanticMask = MaskSource.FromLabelMap(label, size.Width, size.Height),
                InstanceMasks = [.. boxes.Select(b => MaskSource.FromPolygons([[b.Left, b.Top, b.Right, b.Top, b.Right, b.Bottom, b.Left, b.Bottom]]))],
            };
            drawings.Add(new Drawn(path, size, boxes, keypoints));
            samples.Add(new SampleInfo(n, path, 0) { State = bytes, Targets = targets });
        }

        return (new SampleSet(["image"], samples) { TargetSchema = Schema }, [.. drawings]);
    }

    private static Rect Place(Random random, Size size, List<Rect> taken, int w, int h)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var rect = new Rect(random.Next(0, size.Width - w + 1), random.Next(0, size.Height - h + 1), w, h);
            // Two pixels apart, so that no resize merges two colours' edges.
            var grown = new Rect(rect.X - 2, rect.Y - 2, rect.Width + 4, rect.Height + 4);
            if (taken.TrueForAll(t => (t & grown).Width <= 0 || (t & grown).Height <= 0))
            {
                taken.Add(rect);
                return rect;
            }
        }

        throw new InvalidOperationException("No room left to draw.");
    }

    private static void Fill(Mat image, Rect rect, Vec3b rgb) =>
        image[rect].SetTo(new Scalar(rgb.Item2, rgb.Item1, rgb.Item0));

    /// <summary>Checks one row's targets against its pixels; returns the boxes the row dropped.</summary>
    private static int CheckRow(Batch batch, int row, byte[] pixels, PipelineOptions options, string what)
    {
        BatchTargets targets = batch.Targets!;
        int w = options.Width, h = options.Height;
        ReadOnlySpan<byte> image = pixels.AsSpan(row * w * h * 3, w * h * 3);
        SampleGeometry geometry = targets.Geometry[row];
        double area = Math.Abs(geometry.ToTensor.Determinant);
        ReadOnlySpan<float> boxes = targets.RowBoxes(row);
        ReadOnlySpan<int> ids = targets.Field("id").AsSpan(row * targets.MaxInstances, targets.Counts[row]);
        ReadOnlySpan<float> keypoints = targets.RowKeypoints(row);
        var kept = new HashSet<int>();
        for (int j = 0; j < targets.Counts[row]; j++)
        {
            int id = ids[j];
            kept.Add(id);
            Assert.AreEqual(id, targets.RowClasses(row)[j], $"{what}: box {id}'s class travels with it");
            (Rect2d? bounds, int count) = Bounds(image, w, h, BoxColour(id));
            var box = new Rect2d(boxes[4 * j], boxes[4 * j + 1], boxes[4 * j + 2] - boxes[4 * j], boxes[4 * j + 3] - boxes[4 * j + 1]);
            if (bounds is null)
            {
                // A sliver under two pixels across may cover no pixel centre.
                Assert.IsTrue(box.Width < 2 || box.Height < 2, $"{what}: box {id} is kept at {F(box)} but none of its pixels is in the image");
                continue;
            }

            // No pixel of the box's colour lies outside its box (beyond the pixel a resize may smear it by).
            Rect2d b = bounds.Value;
            double outside = Math.Max(Math.Max(box.Left - b.Left, b.Right - box.Right), Math.Max(box.Top - b.Top, b.Bottom - box.Bottom));
            Assert.IsLessThanOrEqualTo(1.0, outside, $"{what}: box {id} at {F(box)} but its pixels span {F(b)}");
            if (count >= 0.35 * box.Width * box.Height)
            {
                // And the box is no larger than its pixels: IoU 0.9 for a large box inside the image; 0.75 for one cut by the image's
                // edge or small, as bilinear resizes blend a pixel's ring, rotation leaves out corner tips thinner than a pixel, and a
                // rotated side that meets the edge steeply reaches past the last pixel centres. (A sliver that a rotation leaves at the
                // edge covers too little of its bounds to say.)
                bool cut = box.Left <= 0.5 || box.Top <= 0.5 || box.Right >= w - 0.5 || box.Bottom >= h - 0.5;
                if (cut)
                {
                    // A rotated side that meets the edge steeply reaches well past the last pixel centres along it.
                    Assert.IsGreaterThanOrEqualTo(Math.Min(box.Width, box.Height) >= 10 ? 0.6 : 0.0, IoU(box, b), $"{what}: box {id} at {F(box)} but its pixels span {F(b)}");
                }
                else if (Math.Min(box.Width, box.Height) >= 20)
                {
                    double least = box.Width >= 40 && box.Height >= 40 && !cut ? 0.9 : 0.75;
                    Assert.IsGreaterThanOrEqualTo(least, IoU(box, b), $"{what}: box {id} at {F(box)} but its pixels span {F(b)}");
                }
                else
                {
                    // Each edge within three pixels of its pixels' (two bilinear resizes' rings, or a rotation's corner tips).
                    double inset = Math.Max(Math.Max(b.Left - box.Left, box.Right - b.Right), Math.Max(b.Top - box.Top, box.Bottom - b.Bottom));
                    Assert.IsLessThanOrEqualTo(3.0, inset, $"{what}: narrow box {id} at {F(box)} but its pixels span {F(b)}");
                }
            }

            ReadOnlySpan<byte> instance = targets.RowInstanceMask(row, j);
            (int agree, int union) = Overlap(image, w, h, BoxColour(id), instance, 1);
            Assert.IsGreaterThanOrEqualTo(0.9, (double)agree / union, $"{what}: box {id}'s instance mask against its pixels");

            for (int k = 0; k < PerInstance; k++)
            {
                ReadOnlySpan<float> point = keypoints.Slice(3 * (PerInstance * j + k), 3);
                // After a mirror, slot k holds the keypoint drawn for its flip partner.
                int drawnK = geometry.Mirrored ? Schema.FlipPermutation[k] : k;
                (Rect2d? marker, int markerPixels) = Bounds(image, w, h, KeypointColour(id, drawnK));
                double full = Marker * Marker * area;
                if (point[2] > 0)
                {
                    Assert.IsNotNull(marker, $"{what}: keypoint {k} of box {id} is visible at ({point[0]}, {point[1]}) but its marker is not in the image");
                    // Its distance is measured when the whole marker made it (no step cut part of it off: a crop can cut a marker
                    // whose keypoint stays inside, and a later rotation bring the cut marker back into view).
                    double interior = Math.Pow(Math.Max(0, Marker * Math.Sqrt(area) - 2), 2);
                    double margin = Marker * Math.Sqrt(area) / 2 + 1;
                    bool inside = point[0] >= margin && point[0] <= w - margin && point[1] >= margin && point[1] <= h - margin;
                    if (inside && markerPixels >= 0.85 * interior && interior > 4)
                    {
                        double cx = marker.Value.X + marker.Value.Width / 2, cy = marker.Value.Y + marker.Value.Height / 2;
                        Assert.IsLessThanOrEqualTo(1.5, Math.Sqrt((cx - point[0]) * (cx - point[0]) + (cy - point[1]) * (cy - point[1])),
                            $"{what}: keypoint {k} of box {id} at ({point[0]}, {point[1]}), its marker centred at ({cx}, {cy})");
                    }
                }
                else
                {
                    Assert.IsLessThanOrEqualTo(0.6 * full + 2, (double)markerPixels, $"{what}: keypoint {k} of box {id} is invisible but its marker shows");
                }
            }
        }

        for (int id = 0; id < Boxes; id++)
        {
            if (!kept.Contains(id))
            {
                (Rect2d? bounds, _) = Bounds(image, w, h, BoxColour(id));
                Assert.IsTrue(bounds is null || bounds.Value.Width <= 2 || bounds.Value.Height <= 2, $"{what}: box {id} was dropped but its pixels span {bounds}");
            }
        }

        // The semantic mask against the pixels' colours, where a colour says which label a pixel has.
        ReadOnlySpan<byte> mask = targets.RowMask(row);
        int known = 0, same = 0;
        for (int p = 0; p < w * h; p++)
        {
            var c = new Vec3b(image[3 * p], image[3 * p + 1], image[3 * p + 2]);
            int label = -1;
            for (int id = 0; id < Boxes; id++)
            {
                label = c == BoxColour(id) ? id + 1 : label;
            }

            if (label < 0 && (c == Background || c == new Vec3b(0, 0, 0)))
            {
                label = 0;
            }

            if (label >= 0)
            {
                known++;
                same += mask[p] == label ? 1 : 0;
            }
        }

        Assert.IsGreaterThanOrEqualTo(0.95, (double)same / known, $"{what}: semantic mask agreement");
        return targets.Dropped[row];
    }

    private static (Rect2d? Bounds, int Count) Bounds(ReadOnlySpan<byte> image, int w, int h, Vec3b colour, int tolerance = 0)
    {
        int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1, count = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int p = 3 * (y * w + x);
                if (Math.Abs(image[p] - colour.Item0) <= tolerance && Math.Abs(image[p + 1] - colour.Item1) <= tolerance && Math.Abs(image[p + 2] - colour.Item2) <= tolerance)
                {
                    (x1, y1, x2, y2) = (Math.Min(x1, x), Math.Min(y1, y), Math.Max(x2, x), Math.Max(y2, y));
                    count++;
                }
            }
        }

        return (count == 0 ? null : new Rect2d(x1, y1, x2 + 1 - x1, y2 + 1 - y1), count);
    }

    private static (int Agree, int Union) Overlap(ReadOnlySpan<byte> image, int w, int h, Vec3b colour, ReadOnlySpan<byte> mask, byte value)
    {
        int both = 0, either = 0;
        for (int p = 0; p < w * h; p++)
        {
            var c = new Vec3b(image[3 * p], image[3 * p + 1], image[3 * p + 2]);
            if (!Known(c))
            {
                // A blend of two colours (a bilinear resize's edge) says nothing about where the mask should be.
                continue;
            }

            bool pixel = c == colour;
            bool inMask = mask[p] == value;
            both += pixel && inMask ? 1 : 0;
            either += pixel || inMask ? 1 : 0;
        }

        return (both, Math.Max(1, either));
    }

    private static string F(Rect2d r) => FormattableString.Invariant($"({r.Left:0.##}, {r.Top:0.##})-({r.Right:0.##}, {r.Bottom:0.##})");

    private static bool Known(Vec3b c) => c == Background || c == new Vec3b(0, 0, 0) || Array.IndexOf(Palette, c) >= 0;

    private static double IoU(Rect2d a, Rect2d b)
    {
        double iw = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X));
        double ih = Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        double inter = iw * ih;
        return inter / (a.Width * a.Height + b.Width * b.Height - inter);
    }
}
