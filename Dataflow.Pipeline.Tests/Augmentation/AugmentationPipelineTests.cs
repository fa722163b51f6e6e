using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Reliability;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>Augmentations through the real graph: real files decoded, augmented, normalized and batched.</summary>
[TestClass]
public sealed class AugmentationPipelineTests
{
    private static IReadOnlyList<IAugmentation> Catalogue() =>
    [
        new RandomResizedCrop(),
        new RandomHorizontalFlip(),
        new RandomAffine(degrees: (-15, 15), translate: (0.1, 0.1), shear: (-5, 5)),
        new ColorJitter(0.4, 0.4, 0.4, 0.1),
        new OneOf(new GaussianBlur(3), new RandomGrayscale(1), new RandomCrop(padding: 3, paddingMode: PaddingMode.Reflect)),
        new RandomApply(0.5, new RandomVerticalFlip(1), new RandomRotation(20)),
        new RandomErasing(),
    ];

    private static PipelineOptions Options(int parallelism, long seed = 3, IReadOnlyList<IAugmentation>? augmentations = null, bool shuffle = true) => new()
    {
        Width = 24,
        Height = 20,
        BatchSize = 4,
        Epochs = 2,
        Seed = seed,
        Shuffle = shuffle,
        ShuffleWithinBatch = shuffle,
        Augmentations = augmentations ?? Catalogue(),
        Decode = new StageOptions(parallelism, 2 * parallelism),
        Augment = new StageOptions(parallelism, 2 * parallelism),
        Normalize = new StageOptions(parallelism, 2 * parallelism),
    };

    [TestMethod]
    public async Task Run_CatalogueAtParallelismOneAndFour_BitIdenticalBatches()
    {
        using var data = new TempDataset().WithClasses(2, 7, width: 48, height: 36);
        var (serial, _) = await PipelineRunner.RunAsync(Options(1), data.Root);
        var (parallel, _) = await PipelineRunner.RunAsync(Options(4), data.Root);
        Assert.HasCount(8, serial);
        Assert.HasCount(serial.Count, parallel);
        for (int i = 0; i < serial.Count; i++)
        {
            CollectionAssert.AreEqual(serial[i].SampleIndices, parallel[i].SampleIndices, $"batch {i} samples");
            Assert.IsTrue(serial[i].Data.AsSpan().SequenceEqual(parallel[i].Data), $"batch {i}: pixels differ between parallelism 1 and 4");
        }
    }

    [TestMethod]
    public async Task Run_OtherSeedOrEpoch_OtherAugmentation()
    {
        using var data = new TempDataset().WithClasses(1, 4, width: 48, height: 36);
        var (first, _) = await PipelineRunner.RunAsync(Options(2, seed: 3, shuffle: false), data.Root);
        var (other, _) = await PipelineRunner.RunAsync(Options(2, seed: 4, shuffle: false), data.Root);
        Assert.IsFalse(first[0].Data.AsSpan().SequenceEqual(other[0].Data), "seeds 3 and 4 gave the same pixels");
        Assert.IsFalse(first[0].Data.AsSpan().SequenceEqual(first[1].Data), "epochs 0 and 1 gave the same pixels for the same samples");
        CollectionAssert.AreEqual(first[0].SampleIndices, first[1].SampleIndices);
    }

    [TestMethod]
    public async Task Run_RandomResizedCropFirst_EachRowIsItsSourceRegionResizedOnceToTheTarget()
    {
        using var data = new TempDataset();
        for (int i = 0; i < 3; i++)
        {
            data.AddImage("a", $"img{i}.png", 64 + 16 * i, 48, seed: i + 1);
        }

        var crop = new RandomResizedCrop(scale: (0.1, 0.5));
        PipelineOptions options = Options(2, seed: 9, augmentations: [crop], shuffle: false);
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);
        int rows = 0;
        foreach (SeenBatch batch in batches)
        {
            for (int row = 0; row < batch.Labels.Length; row++, rows++)
            {
                using Mat decoded = Cv2.ImRead(batch.Paths[row], ImreadModes.Color);
                Rect region = crop.SelectRegion(decoded.Size(), new Size(24, 20), AugmentationContext.ForSourceCrop(9, batch.Epoch, batch.SampleIndices[row], ColorMode.Rgb));
                Assert.IsLessThan(decoded.Width * decoded.Height / 2 + 1, region.Width * region.Height, "the region is a proper crop");
                using var view = new Mat(decoded, region);
                using var expected = new Mat();
                Cv2.Resize(view, expected, new Size(24, 20), 0, 0, InterpolationFlags.Linear);
                Cv2.CvtColor(expected, expected, ColorConversionCodes.BGR2RGB);
                int length = 24 * 20 * 3;
                byte[] actual = ReferenceImages.FromNchwRow(batch.Data.AsSpan(row * length, length), 24, 20, 3);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), actual, $"{batch.Paths[row]}, epoch {batch.Epoch}, region {region}");
            }
        }

        Assert.AreEqual(6, rows);
    }

    [TestMethod]
    public async Task Run_RandomResizedCropFirstOnLargeJpegs_ReducedDecodeOfTheRegionMatchesTheFullSizeCrop()
    {
        // Large, smooth JPEGs: the decoder may decode them at 1/2 to 1/8 size, as long as the crop's region still
        // covers the target, and maps the region onto the reduced image. The rows must match the exact crop of the
        // full-size image resized once, up to the small difference of a reduced decode.
        using var data = new TempDataset();
        for (int i = 0; i < 3; i++)
        {
            using Mat smooth = Smooth(1600, 1200, i);
            data.Write("a", $"big{i}.jpg", smooth, [(int)ImwriteFlags.JpegQuality, 95]);
        }

        var crop = new RandomResizedCrop(scale: (0.3, 1));
        PipelineOptions options = Options(2, seed: 5, augmentations: [crop], shuffle: false) with { Width = 64, Height = 48 };
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);
        foreach (SeenBatch batch in batches)
        {
            for (int row = 0; row < batch.Labels.Length; row++)
            {
                using Mat decoded = Cv2.ImRead(batch.Paths[row], ImreadModes.Color);
                Rect region = crop.SelectRegion(decoded.Size(), new Size(64, 48), AugmentationContext.ForSourceCrop(5, batch.Epoch, batch.SampleIndices[row], ColorMode.Rgb));
                using var view = new Mat(decoded, region);
                using var expected = new Mat();
                Cv2.Resize(view, expected, new Size(64, 48), 0, 0, InterpolationFlags.Area);
                Cv2.CvtColor(expected, expected, ColorConversionCodes.BGR2RGB);
                int length = 64 * 48 * 3;
                using Mat actual = Mat.FromPixelData(48, 64, MatType.CV_8UC3, ReferenceImages.FromNchwRow(batch.Data.AsSpan(row * length, length), 64, 48, 3));
                Assert.IsGreaterThan(35.0, Cv2.PSNR(expected, actual), $"{batch.Paths[row]}, epoch {batch.Epoch}, region {region}: PSNR against the full-size crop");
            }
        }
    }

    [TestMethod]
    public async Task Run_CatalogueOnGrayscale_EveryImageBatchedAndParallelismInvariant()
    {
        using var data = new TempDataset().WithClasses(2, 5, width: 40, height: 30);
        var (serial, pipeline) = await PipelineRunner.RunAsync(Options(1) with { ColorMode = ColorMode.Grayscale }, data.Root);
        var (parallel, _) = await PipelineRunner.RunAsync(Options(3) with { ColorMode = ColorMode.Grayscale }, data.Root);
        Assert.AreEqual(20, serial.Sum(b => b.Labels.Length), pipeline.Report.ToString());
        Assert.IsEmpty(pipeline.Report.Skipped);
        for (int i = 0; i < serial.Count; i++)
        {
            Assert.IsTrue(serial[i].Data.AsSpan().SequenceEqual(parallel[i].Data), $"batch {i}");
        }
    }

    [TestMethod]
    public async Task Run_AugmentationThrows_SampleSkippedAndReportedNothingHeld()
    {
        // An augmentation that fails on one sample in three: those are skipped, reported with the stage and reason.
        using var data = new TempDataset().WithClasses(1, 6);
        PipelineOptions options = Options(2, augmentations: [new RandomHorizontalFlip(), new FailingAugmentation(every: 3)]) with { Epochs = 1 };
        var (batches, pipeline) = await PipelineRunner.RunAsync(options, data.Root);
        Assert.AreEqual(4, batches.Sum(b => b.Labels.Length));
        Assert.HasCount(2, pipeline.Report.Skipped);
        Assert.IsTrue(pipeline.Report.Skipped.All(s => s.Stage == "augment" && s.Reason == "sample index divisible by 3"),
            string.Join("; ", pipeline.Report.Skipped));
        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
    }

    [TestMethod]
    public async Task Run_AugmentationThrowsForEverySample_FaultsWithTheReasonsNothingHeld()
    {
        // Nothing can be batched: the run does not "succeed" with zero batches, it faults and names the reason.
        using var data = new TempDataset().WithClasses(1, 3);
        PipelineOptions options = Options(2, augmentations: [new FailingAugmentation(every: 1)]) with { Epochs = 1 };
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).Build(_ => Assert.Fail("no batch expected"));
        pipeline.Post(data.Root);
        pipeline.Complete();
        var e = await Assert.ThrowsExactlyAsync<FailureBudgetExceededException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        StringAssert.Contains(e.Message, "None of the 3 samples of epoch 0 could be batched");
        StringAssert.Contains(e.Message, "3 x augment: sample index divisible by 1");
        Assert.HasCount(3, e.Failures);
        Assert.HasCount(3, pipeline.Report.Skipped);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    private sealed class FailingAugmentation(int every) : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context) => context.SampleIndex % every == 0
            ? throw new InvalidDataException($"sample index divisible by {every}")
            : image;
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    [DataRow(true, true)]
    public async Task Run_AugmentationReturnsOneMatForEverySample_OneSampleGetsItTheOthersSkippedNamingIt(bool userStageAfter, bool inCombinator)
    {
        // One Mat returned for every image: the first sample to get it holds it (and disposes it once, after normalize);
        // every later sample is refused, while the holder has it or after it was disposed, never disposed twice.
        using var data = new TempDataset().WithClasses(2, 6, 16, 12);
        var shared = new SharedMat();
        IAugmentation augmentation = inCombinator ? new RandomApply(1, shared) : shared;
        PipelineOptions options = FaultHarness.Small(epochs: 1) with { Augmentations = [augmentation] };
        FaultRun run = await FaultHarness.RunAsync(options, data.Root, userStageAfter
            ? b => b.AddStage(StagePosition.AfterAugment, "reader", s => _ = Cv2.Mean(s.Image!))
            : null);

        FaultHarness.AssertFinishedAndAccounted(run);
        Assert.AreEqual(1, run.Report.Batched, string.Join("; ", run.Report.Skipped));
        Assert.HasCount(11, run.Report.Skipped);
        foreach (SkippedSample skip in run.Report.Skipped)
        {
            Assert.AreEqual("augment", skip.Stage);
            bool disposed = skip.Reason == "Augmentation 'SharedMat' returned an image that is already disposed; return the input image or a new Mat, and leave disposal to the pipeline.";
            bool held = skip.Reason.StartsWith("Augmentation 'SharedMat' returned an image that is the image of sample #", StringComparison.Ordinal)
                && skip.Reason.EndsWith(", still in flight; return a new Mat for each sample (Clone() a Mat that is kept and reused).", StringComparison.Ordinal);
            Assert.IsTrue(disposed || held, skip.Reason);
        }

        // Every batched row is the shared image's grey.
        Assert.IsTrue(run.Batches.SelectMany(b => b.Data).All(v => Math.Abs(v - 77 / 255f) < 1e-6f), "rows hold the shared Mat's pixels");
    }

    [TestMethod]
    public async Task Run_CombinatorWithATransformReturningOneMat_TheOthersSkippedNamingTheTransform()
    {
        // Even samples keep the shared Mat, odd ones copy it: the combinator must not dispose it as an intermediate of an
        // odd sample while an even sample holds it.
        using var data = new TempDataset().WithClasses(1, 8, 16, 12);
        var options = FaultHarness.Small(epochs: 1) with { Augmentations = [new RandomApply(1, new SharedMat(), new CloneOdd())] };
        FaultRun run = await FaultHarness.RunAsync(options, data.Root, b => b.AddStage(StagePosition.AfterAugment, "reader", s => _ = Cv2.Mean(s.Image!)));

        FaultHarness.AssertFinishedAndAccounted(run);
        Assert.AreEqual(8, run.Report.Batched + run.Report.Skipped.Count);
        Assert.IsGreaterThanOrEqualTo(1L, run.Report.Batched);
        Assert.IsTrue(run.Report.Skipped.All(s => s.Stage == "augment" && s.Reason.StartsWith("Augmentation 'SharedMat' returned an image that ", StringComparison.Ordinal)),
            string.Join("; ", run.Report.Skipped));
    }

    [TestMethod]
    public async Task Run_CombinatorIntermediateHandedToTwoSamplesAtOnce_OneRefusedNeverDisposedUnderTheOther()
    {
        // Sample 1's combinator gets the shared Mat first and later replaces it (so disposes it as an intermediate);
        // sample 0 gets the same Mat in between. The check "does another sample hold it?" and the claim were two steps:
        // sample 0 passed the check, took the Mat as its image, and sample 1 disposed it under it, so the next stage
        // read freed memory (a SIGSEGV of the test host). Now the Mat is claimed for sample 1 as it is checked, and
        // sample 0 is refused naming the transform.
        using var data = new TempDataset().WithClasses(1, 2, 16, 12);
        var gate = new TwoSampleGate();
        ImagePipeline? pipeline = null;
        gate.Skipped = () => pipeline?.Report.Skipped.Count > 0;
        PipelineOptions options = FaultHarness.Small(epochs: 1) with
        {
            BatchSize = 2,
            Decode = new StageOptions(2, 4),
            Augment = new StageOptions(2, 4),
            Augmentations = [new RandomApply(1, gate.Shared, gate)],
        };
        pipeline = ImagePipeline.CreateBuilder(options).AddStage(StagePosition.AfterAugment, "reader", s => _ = Cv2.Mean(s.Image!)).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();

        Assert.IsNull(await FaultHarness.CompletionOf(pipeline));
        Assert.IsTrue(gate.BothMet, "the two samples met inside the combinator");
        Assert.AreEqual(1, pipeline.Report.Batched, string.Join("; ", pipeline.Report.Skipped));
        SkippedSample skip = pipeline.Report.Skipped.Single();
        StringAssert.StartsWith(skip.Reason, "Augmentation 'TwoSampleGate.Shared' returned an image that is the image of sample #");
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Run_AugmentationReturnsNull_SkippedNamingIt(bool inCombinator)
    {
        using var data = new TempDataset().WithClasses(1, 4, 16, 12);
        IAugmentation augmentation = inCombinator ? new RandomApply(1, new NullAugmentation(), new RandomHorizontalFlip()) : new NullAugmentation();
        FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(epochs: 1) with { Augmentations = [augmentation] }, data.Root,
            b => b.AddStage(StagePosition.AfterAugment, "next", _ => { }));

        Assert.IsInstanceOfType<FailureBudgetExceededException>(run.Error, $"{run.Error}");
        Assert.HasCount(4, run.Report.Skipped);
        foreach (SkippedSample skip in run.Report.Skipped)
        {
            Assert.AreEqual(("augment", "Augmentation 'NullAugmentation' returned null; return the input image or a new Mat."), (skip.Stage, skip.Reason));
        }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Run_AugmentationDisposesItsResult_SkippedNamingItNotTheNextStage(bool inCombinator)
    {
        using var data = new TempDataset().WithClasses(1, 4, 16, 12);
        IAugmentation augmentation = inCombinator ? new OneOf(new DisposingAugmentation()) : new DisposingAugmentation();
        FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(epochs: 1) with { Augmentations = [new RandomHorizontalFlip(), augmentation] }, data.Root,
            b => b.AddStage(StagePosition.AfterAugment, "next", _ => { }));

        Assert.IsInstanceOfType<FailureBudgetExceededException>(run.Error, $"{run.Error}");
        Assert.HasCount(4, run.Report.Skipped);
        foreach (SkippedSample skip in run.Report.Skipped)
        {
            string name = inCombinator ? "OneOf([DisposingAugmentation], weights=[1])" : "DisposingAugmentation";
            Assert.AreEqual(("augment", $"Augmentation '{name}' returned an image that is already disposed; return the input image or a new Mat, and leave disposal to the pipeline."),
                (skip.Stage, skip.Reason));
        }
    }

    /// <summary>Returns one Mat of its own (a 16×12 grey of 77) for every image: a transform that breaks the ownership rule.</summary>
    private sealed class SharedMat : IAugmentation
    {
        private readonly Lazy<Mat> _mat = new(() => new Mat(12, 16, MatType.CV_8UC3, new Scalar(77, 77, 77)));

        public Mat Apply(Mat image, AugmentationContext context) => _mat.Value;

        public override string ToString() => nameof(SharedMat);
    }

    /// <summary>
    /// With <see cref="Shared"/> before it in one combinator: the odd sample gets the shared Mat first and waits here while
    /// the even one gets it too, then replaces it with a copy (so its combinator disposes it as an intermediate).
    /// </summary>
    private sealed class TwoSampleGate : IAugmentation
    {
        private readonly ManualResetEventSlim _oddWaiting = new();
        private readonly ManualResetEventSlim _evenPassed = new();
        private readonly Mat _mat = new(12, 16, MatType.CV_8UC3, new Scalar(77, 77, 77));

        public TwoSampleGate() => Shared = new SharedStep(this);

        public IAugmentation Shared { get; }

        public Func<bool> Skipped { get; set; } = () => false;

        public bool BothMet { get; private set; }

        public Mat Apply(Mat image, AugmentationContext context)
        {
            if (context.SampleIndex % 2 == 0)
            {
                _evenPassed.Set();
                return image;
            }

            _oddWaiting.Set();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!_evenPassed.Wait(5) && !Skipped() && waited.Elapsed < FaultHarness.Guard)
            {
            }

            BothMet = _evenPassed.IsSet || Skipped();
            Thread.Sleep(20); // the even sample takes the Mat as its image meanwhile, when nothing stops it
            return image.Clone();
        }

        private sealed class SharedStep(TwoSampleGate gate) : IAugmentation
        {
            public Mat Apply(Mat image, AugmentationContext context)
            {
                if (context.SampleIndex % 2 == 0)
                {
                    Assert.IsTrue(gate._oddWaiting.Wait(FaultHarness.Guard), "the odd sample reached the gate");
                }

                return gate._mat;
            }

            public override string ToString() => "TwoSampleGate.Shared";
        }
    }

    /// <summary>A copy of its input for odd sample indices, the input itself for even ones.</summary>
    private sealed class CloneOdd : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context) => context.SampleIndex % 2 == 1 ? image.Clone() : image;
    }

    private sealed class NullAugmentation : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context) => null!;

        public override string ToString() => nameof(NullAugmentation);
    }

    private sealed class DisposingAugmentation : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context)
        {
            image.Dispose();
            return image;
        }

        public override string ToString() => nameof(DisposingAugmentation);
    }

    /// <summary>A large image of soft coloured blobs: resampling it at any scale gives nearly the same picture.</summary>
    private static Mat Smooth(int width, int height, int seed)
    {
        var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(40, 90, 160));
        var random = new Random(seed);
        for (int k = 0; k < 12; k++)
        {
            Cv2.Circle(image, new Point(random.Next(width), random.Next(height)), random.Next(100, 400),
                new Scalar(random.Next(256), random.Next(256), random.Next(256)), -1);
        }

        Cv2.GaussianBlur(image, image, new Size(0, 0), 40);
        return image;
    }

    [TestMethod]
    public async Task Run_UserDefinedAugmentation_AppliedToEveryImage()
    {
        using var data = new TempDataset().WithClasses(2, 3);
        var (plain, _) = await PipelineRunner.RunAsync(Options(2, augmentations: [], shuffle: false), data.Root);
        var (inverted, pipeline) = await PipelineRunner.RunAsync(Options(2, augmentations: [new Invert()], shuffle: false), data.Root);
        Assert.HasCount(plain.Count, inverted);
        for (int b = 0; b < plain.Count; b++)
        {
            for (int i = 0; i < plain[b].Data.Length; i++)
            {
                Assert.AreEqual(1f - plain[b].Data[i], inverted[b].Data[i], 1e-6f, $"batch {b}, value {i}");
            }
        }

        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
    }

    /// <summary>A user's own transform: 255 − value, in place, with OpenCV.</summary>
    private sealed class Invert : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context)
        {
            Cv2.BitwiseNot(image, image);
            return image;
        }
    }
}
