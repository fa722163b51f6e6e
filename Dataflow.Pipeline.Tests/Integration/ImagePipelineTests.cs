using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Integration;

[TestClass]
public sealed class ImagePipelineTests
{
    private static PipelineOptions Small(int width = 24, int height = 18) => new()
    {
        Width = width,
        Height = height,
        ReducedDecode = false,
        BatchSize = 4,
        Seed = 7,
    };

    [TestMethod]
    public async Task Run_EveryFormat_PixelsLabelsAndPathsMatchOpenCv()
    {
        using var data = new TempDataset();
        using Mat bgr = TempDataset.Pattern(53, 41, 21);
        using Mat gray = bgr.CvtColor(ColorConversionCodes.BGR2GRAY);
        using Mat bgra = bgr.CvtColor(ColorConversionCodes.BGR2BGRA);
        using Mat deep = new Mat();
        bgr.ConvertTo(deep, MatType.CV_16UC3, 257);
        data.Write("jpeg", "a.jpg", bgr);
        data.Write("jpeg", "b.jpeg", TempDataset.Pattern(70, 30, 3));
        data.Write("png", "rgb.png", bgr);
        data.Write("png", "gray.png", gray);
        data.Write("png", "alpha.png", bgra);
        data.Write("png", "deep.png", deep);
        data.Write("other", "x.bmp", bgr);
        data.Write("other", "x.webp", bgr, [(int)ImwriteFlags.WebPQuality, 101]);
        data.Write("other", "x.tiff", bgr);

        var (batches, pipeline) = await PipelineRunner.RunAsync(Small() with { }, data.Root);

        string[] classes = ["jpeg", "other", "png"];
        CollectionAssert.AreEqual(classes, pipeline.ClassNames.ToArray());
        Assert.AreEqual(9, batches.Sum(b => b.Labels.Length));
        foreach (SeenBatch batch in batches)
        {
            CollectionAssert.AreEqual(new[] { batch.Labels.Length, 3, 18, 24 }, batch.Shape);
            for (int row = 0; row < batch.Labels.Length; row++)
            {
                string path = batch.Paths[row];
                string className = Path.GetFileName(Path.GetDirectoryName(path))!;
                Assert.AreEqual(Array.IndexOf(classes, className), batch.Labels[row], path);
                CollectionAssert.AreEqual(
                    Enumerable.Range(0, 3).Select(c => c == batch.Labels[row] ? 1f : 0f).ToArray(),
                    batch.OneHot.AsSpan(row * 3, 3).ToArray(), path);
                using Mat expected = ReferenceImages.DecodeResize(path, 24, 18);
                byte[] actual = ReferenceImages.FromNchwRow(batch.Data.AsSpan(row * 3 * 18 * 24, 3 * 18 * 24), 24, 18, 3);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), actual, path);
            }
        }

        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
        Assert.IsEmpty(pipeline.Report.Skipped);
    }

    [TestMethod]
    public async Task Run_DigitsSheetCutIntoClassFolders_EveryCellArrivesWithItsDigit()
    {
        using var data = new TempDataset();
        using Mat sheet = LoadDigitsSheet();
        // Ten cells from every row of the sheet: 500 images, rows 5k..5k+4 hold the digit k.
        var cells = new Dictionary<string, (int Row, int Col)>();
        for (int row = 0; row < 50; row++)
        {
            for (int col = 0; col < 100; col += 10)
            {
                using Mat cell = new Mat(sheet, new Rect(col * 20, row * 20, 20, 20)).Clone();
                cells[data.Write((row / 5).ToString(), $"{row * 100 + col:D5}.png", cell)] = (row, col);
            }
        }

        var options = Small(20, 20) with { };
        var (batches, pipeline) = await PipelineRunner.RunAsync(
            new PipelineOptions { Width = 20, Height = 20, ColorMode = ColorMode.Grayscale, BatchSize = 64, Seed = 3 }, data.Root);

        Assert.AreEqual(500, batches.Sum(b => b.Labels.Length));
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray(), pipeline.ClassNames.ToArray());
        foreach (SeenBatch batch in batches)
        {
            for (int r = 0; r < batch.Labels.Length; r++)
            {
                var (row, col) = cells[batch.Paths[r]];
                Assert.AreEqual(row / 5, batch.Labels[r]);
                using Mat cell = new Mat(sheet, new Rect(col * 20, row * 20, 20, 20)).Clone();
                byte[] actual = ReferenceImages.FromNchwRow(batch.Data.AsSpan(r * 400, 400), 20, 20, 1);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(cell), actual, batch.Paths[r]);
            }
        }

        CollectionAssert.AreEqual(Enumerable.Repeat(50, 10).ToArray(), pipeline.Report.DiscoveredPerClass.ToArray());
        CollectionAssert.AreEqual(Enumerable.Repeat(50L, 10).ToArray(), pipeline.Report.BatchedPerClass.ToArray());
    }

    [TestMethod]
    public async Task Run_AnyParallelism_BatchesBitIdenticalAndOtherSeedDiffers()
    {
        using var data = new TempDataset().WithClasses(3, 9, 37, 29);
        PipelineOptions With(int parallelism, long seed) => Small() with
        {
            Seed = seed,
            Epochs = 2,
            BatchSize = 5,
            Augmentations = [new RandomHorizontalFlip()],
            Read = new StageOptions(parallelism, 2 * parallelism),
            Decode = new StageOptions(parallelism, 2 * parallelism),
            Augment = new StageOptions(parallelism, 2 * parallelism),
            Normalize = new StageOptions(parallelism, 2 * parallelism),
        };

        var (one, _) = await PipelineRunner.RunAsync(With(1, 11), data.Root);
        foreach (int parallelism in new[] { 2, 8 })
        {
            var (other, _) = await PipelineRunner.RunAsync(With(parallelism, 11), data.Root);
            Assert.HasCount(one.Count, other);
            for (int i = 0; i < one.Count; i++)
            {
                Assert.AreEqual(one[i].Epoch, other[i].Epoch);
                Assert.AreEqual(one[i].Index, other[i].Index);
                CollectionAssert.AreEqual(one[i].Paths, other[i].Paths, $"batch {i} at parallelism {parallelism}");
                CollectionAssert.AreEqual(one[i].Labels, other[i].Labels);
                CollectionAssert.AreEqual(one[i].OneHot, other[i].OneHot);
                CollectionAssert.AreEqual(one[i].Data, other[i].Data, $"tensor of batch {i} at parallelism {parallelism}");
            }
        }

        var (reseeded, _) = await PipelineRunner.RunAsync(With(2, 12), data.Root);
        CollectionAssert.AreNotEqual(one.SelectMany(b => b.Paths).ToArray(), reseeded.SelectMany(b => b.Paths).ToArray());
    }

    [TestMethod]
    public async Task Run_SeveralEpochs_EachEpochAFreshPermutationOfEverySample()
    {
        using var data = new TempDataset().WithClasses(4, 6, 8, 8);
        var (batches, pipeline) = await PipelineRunner.RunAsync(Small(8, 8) with { Epochs = 3, BatchSize = 6 }, data.Root);

        string[][] epochs = [.. Enumerable.Range(0, 3).Select(e => batches.Where(b => b.Epoch == e).SelectMany(b => b.Paths).ToArray())];
        foreach (string[] order in epochs)
        {
            CollectionAssert.AreEquivalent(pipeline.Report.Discovered == 24 ? Directory.GetFiles(data.Root, "*.png", SearchOption.AllDirectories) : null, order);
        }

        CollectionAssert.AreNotEqual(epochs[0], epochs[1]);
        CollectionAssert.AreNotEqual(epochs[1], epochs[2]);
        // Discovery is class-sorted; a whole-order shuffle mixes classes inside the first batch.
        Assert.IsGreaterThan(1, batches[0].Labels.Distinct().Count());
        Assert.AreEqual(72, pipeline.Report.Batched);
        Assert.AreEqual(3, pipeline.Report.EpochsStarted);
    }

    [TestMethod]
    public async Task Run_NoShuffle_DiscoveryOrderInBatches()
    {
        using var data = new TempDataset().WithClasses(2, 3, 8, 8);
        var (batches, _) = await PipelineRunner.RunAsync(Small(8, 8) with { Shuffle = false, ShuffleWithinBatch = false, BatchSize = 4 }, data.Root);
        string[] expected = [.. new FolderSampleSource().Discover([data.Root]).Samples.Select(s => s.Id)];
        CollectionAssert.AreEqual(expected, batches.SelectMany(b => b.Paths).ToArray());
    }

    [TestMethod]
    public async Task Run_ShuffleWithinBatch_SameMembersInAnotherOrder()
    {
        using var data = new TempDataset().WithClasses(2, 16, 8, 8);
        var (plain, _) = await PipelineRunner.RunAsync(Small(8, 8) with { BatchSize = 8, ShuffleWithinBatch = false }, data.Root);
        var (mixed, _) = await PipelineRunner.RunAsync(Small(8, 8) with { BatchSize = 8, ShuffleWithinBatch = true }, data.Root);

        Assert.HasCount(plain.Count, mixed);
        for (int i = 0; i < plain.Count; i++)
        {
            CollectionAssert.AreEquivalent(plain[i].Paths, mixed[i].Paths);
        }

        Assert.IsTrue(Enumerable.Range(0, plain.Count).Any(i => !plain[i].Paths.SequenceEqual(mixed[i].Paths)));
    }

    [TestMethod]
    public async Task Run_ShortLastBatch_KeptOrDroppedAndCounted()
    {
        using var data = new TempDataset().WithClasses(2, 5, 8, 8);
        var (kept, keptPipeline) = await PipelineRunner.RunAsync(Small(8, 8) with { BatchSize = 4 }, data.Root);
        CollectionAssert.AreEqual(new[] { 4, 4, 2 }, kept.Select(b => b.Labels.Length).ToArray());
        Assert.AreEqual(2, kept[^1].Shape[0]);
        Assert.HasCount(2 * 3 * 8 * 8, kept[^1].Data);
        Assert.AreEqual(0, keptPipeline.Report.DroppedLast);

        var (dropped, droppedPipeline) = await PipelineRunner.RunAsync(Small(8, 8) with { BatchSize = 4, DropLast = true, Epochs = 2 }, data.Root);
        CollectionAssert.AreEqual(new[] { 4, 4, 4, 4 }, dropped.Select(b => b.Labels.Length).ToArray());
        Assert.AreEqual(4, droppedPipeline.Report.DroppedLast);
        Assert.IsTrue(droppedPipeline.Report.CountsAddUp);
    }

    [TestMethod]
    public async Task Run_StoppedInAnEpoch_DroppedLastCountsOnlyTheEpochEndsReached()
    {
        using var data = new TempDataset().WithClasses(2, 5, 8, 8);
        ImagePipeline? pipeline = null;
        var seen = new List<(int Epoch, int Index)>();
        pipeline = ImagePipeline.CreateBuilder(Small(8, 8) with { BatchSize = 4, DropLast = true, Epochs = 3 }).Build(b =>
        {
            seen.Add((b.Epoch, b.Index));
            if (b.Epoch == 1)
            {
                // Stopped at the first batch of epoch 1: the end of epoch 0 was reached, that of epoch 1 never.
                pipeline!.Cancel();
            }
        });
        pipeline.Post(data.Root);
        pipeline.Complete();

        await Assert.ThrowsAsync<OperationCanceledException>(() => pipeline.Completion);

        CollectionAssert.AreEqual(new[] { (0, 0), (0, 1), (1, 0) }, seen.ToArray());
        Assert.AreEqual(2, pipeline.Report.DroppedLast);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_ValidationSplit_SubsetsDisjointAndTogetherEverything()
    {
        using var data = new TempDataset().WithClasses(3, 10, 8, 8);
        var (train, trainPipeline) = await PipelineRunner.RunAsync(Small(8, 8) with { ValidationSplit = 0.3, Subset = Subset.Training }, data.Root);
        var (validation, _) = await PipelineRunner.RunAsync(Small(8, 8) with { ValidationSplit = 0.3, Subset = Subset.Validation }, data.Root);

        string[] trainPaths = [.. train.SelectMany(b => b.Paths)];
        string[] validationPaths = [.. validation.SelectMany(b => b.Paths)];
        Assert.HasCount(21, trainPaths);
        Assert.HasCount(9, validationPaths);
        Assert.IsEmpty(trainPaths.Intersect(validationPaths));
        Assert.AreEqual(30, trainPaths.Union(validationPaths).Count());
        Assert.AreEqual(30, trainPipeline.Report.Discovered);
        Assert.AreEqual(21, trainPipeline.Report.Selected);
    }

    [TestMethod]
    public async Task ReadAllAsync_SameBatchesAsTrainerCallback()
    {
        using var data = new TempDataset().WithClasses(2, 7, 12, 10);
        var (viaTrainer, _) = await PipelineRunner.RunAsync(Small(12, 10) with { Epochs = 2 }, data.Root);

        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(12, 10) with { Epochs = 2 }).BuildStream();
        pipeline.Post(data.Root);
        pipeline.Complete();
        var viaStream = new List<SeenBatch>();
        await foreach (Batch batch in pipeline.ReadAllAsync())
        {
            using (batch)
            {
                viaStream.Add(SeenBatch.Copy(batch));
            }
        }

        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.HasCount(viaTrainer.Count, viaStream);
        for (int i = 0; i < viaTrainer.Count; i++)
        {
            CollectionAssert.AreEqual(viaTrainer[i].Paths, viaStream[i].Paths);
            CollectionAssert.AreEqual(viaTrainer[i].Data, viaStream[i].Data);
        }
    }

    [TestMethod]
    public async Task ReadAllAsync_ConsumerStopsEarly_RunCancelledAndMemoryReturned()
    {
        using var data = new TempDataset().WithClasses(2, 20, 12, 10);
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(12, 10) with { BatchSize = 2 }).BuildStream();
        pipeline.Post(data.Root);
        pipeline.Complete();
        await foreach (Batch batch in pipeline.ReadAllAsync())
        {
            batch.Dispose();
            break;
        }

        await Assert.ThrowsAsync<OperationCanceledException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task ReadAllAsync_ConsumerStopsAfterTheRestIsBuffered_RunStillEnds()
    {
        // Three batches; once the first is read the other two fit in the output buffer, so the graph can finish
        // and complete the output while it still holds them: leaving then must still end the run.
        using var data = new TempDataset().WithClasses(2, 3, 12, 10);
        // Not 'await using': if the run never ended, disposing would wait for ever instead of failing.
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(12, 10) with { BatchSize = 2, PrefetchBatches = 2 }).BuildStream();
        pipeline.Post(data.Root);
        pipeline.Complete();
        IAsyncEnumerator<Batch> batches = pipeline.ReadAllAsync().GetAsyncEnumerator();
        Assert.IsTrue(await batches.MoveNextAsync());
        batches.Current.Dispose();
        // Wait by counts, not by time, until every image is through and both other batches hold their tensors.
        for (int spin = 0; (pipeline.Images.LiveSamples > 0 || pipeline.Tensors.Outstanding < 2 || spin < 10_000) && spin < 1_000_000; spin++)
        {
            await Task.Yield();
        }

        await batches.DisposeAsync();

        await Assert.ThrowsAsync<OperationCanceledException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        PipelineRunner.AssertNothingHeld(pipeline);
        await pipeline.DisposeAsync();
    }

    [TestMethod]
    public void ReadAllAsync_OnTrainerPipeline_Throws()
    {
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small()).Build(_ => { });
        pipeline.Complete();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => pipeline.ReadAllAsync().GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
        StringAssert.Contains(e.Message, "BuildStream");
    }

    [TestMethod]
    public async Task Run_TrainerThrows_CompletionCarriesTheOriginalExceptionAndMemoryReturned()
    {
        using var data = new TempDataset().WithClasses(2, 30, 12, 10);
        int calls = 0;
        var boom = new InvalidOperationException("trainer failed on batch 3");
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(12, 10) with { BatchSize = 2 }).Build(_ =>
        {
            if (++calls == 3)
            {
                throw boom;
            }
        });
        pipeline.Post(data.Root);
        pipeline.Complete();

        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.AreSame(boom, e);
        Assert.AreEqual(3, calls);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_Cancelled_CompletionCanceledAndMemoryReturned()
    {
        using var data = new TempDataset().WithClasses(2, 40, 12, 10);
        using var cts = new CancellationTokenSource();
        int calls = 0;
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(12, 10) with { BatchSize = 2, Epochs = 5 }).Build(_ =>
        {
            if (++calls == 4)
            {
                cts.Cancel();
            }
        }, cts.Token);
        pipeline.Post(data.Root);
        pipeline.Complete();

        await Assert.ThrowsAsync<OperationCanceledException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsLessThan(200, calls);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_MissingRoot_FaultsNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "missing-" + Guid.NewGuid().ToString("N"));
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small()).Build(_ => Assert.Fail("no batch expected"));
        pipeline.Post(missing);
        pipeline.Complete();
        var e = await Assert.ThrowsExactlyAsync<DirectoryNotFoundException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public async Task Run_CorruptFile_SkippedAndReportedOrFailFastNamingIt()
    {
        using var data = new TempDataset().WithClasses(2, 5, 12, 10);
        string corrupt = data.WriteBytes(Path.Combine("class1", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);

        var (batches, pipeline) = await PipelineRunner.RunAsync(Small(12, 10) with { Epochs = 2 }, data.Root);
        Assert.AreEqual(20, batches.Sum(b => b.Labels.Length));
        Assert.IsFalse(batches.SelectMany(b => b.Paths).Contains(corrupt));
        Assert.HasCount(2, pipeline.Report.Skipped);
        Assert.IsTrue(pipeline.Report.Skipped.All(s => s.Path == corrupt && s.Stage == "decode" && s.Reason.Contains(corrupt, StringComparison.Ordinal)));
        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());

        ImagePipeline failFast = ImagePipeline.CreateBuilder(Small(12, 10) with { ErrorPolicy = ErrorPolicy.FailFast }).Build(_ => { });
        failFast.Post(data.Root);
        failFast.Complete();
        var e = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => failFast.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.AreEqual(corrupt, e.Path);
        StringAssert.Contains(e.Message, corrupt);
        PipelineRunner.AssertNothingHeld(failFast);
    }

    [TestMethod]
    public async Task Run_FailFastManyTimes_EveryRunEndsWithTheFileNamed()
    {
        // A regression guard: a block faulted under a full upstream block could leave the graph waiting forever.
        using var data = new TempDataset().WithClasses(2, 5, 12, 10);
        string corrupt = data.WriteBytes(Path.Combine("class1", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        for (int i = 0; i < 100; i++)
        {
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(12, 10) with { ErrorPolicy = ErrorPolicy.FailFast, Seed = i }).Build(_ => { });
            pipeline.Post(data.Root);
            pipeline.Complete();
            var e = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)), $"run {i}");
            Assert.AreEqual(corrupt, e.Path);
            PipelineRunner.AssertNothingHeld(pipeline);
        }
    }

    [TestMethod]
    public async Task Run_SmallCapacities_ImagesInFlightNeverExceedTheBoundWhateverTheDatasetSize()
    {
        PipelineOptions options = Small(8, 8) with
        {
            BatchSize = 4,
            Read = new StageOptions(2, 3),
            Decode = new StageOptions(2, 2),
            Augment = new StageOptions(1, 2),
            Normalize = new StageOptions(1, 2),
            Augmentations = [new RandomHorizontalFlip()],
        };
        foreach (int perClass in new[] { 10, 100 })
        {
            using var data = new TempDataset().WithClasses(2, perClass, 8, 8);
            var (batches, pipeline) = await PipelineRunner.RunAsync(options, data.Root);
            Assert.AreEqual(2 * perClass, batches.Sum(b => b.Labels.Length));
            // No user stage after decode: decode, augment and normalize share one block, so read (3) + decode (2).
            Assert.AreEqual(5, pipeline.MaxSamplesInFlight);
            Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Images.PeakSamples, $"{perClass} per class");
            Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Images.PeakMats);
            Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Buffers.Peak);
            // Tensors: the batches the in-flight samples span, plus the batch block, assembler and prefetch queue.
            Assert.IsLessThanOrEqualTo(5 / 4 + 2 + 2 + 2 + 2 + 1, pipeline.Tensors.Peak);
        }
    }

    [TestMethod]
    public async Task Run_UserStageAfterDecode_SameBatchesAsTheFusedChainAndEveryBlockCounted()
    {
        // Without user stages decode, augment and normalize run fused in one block; a stage after decode splits
        // them into their own blocks. Both graphs must give the same batches bit for bit.
        using var data = new TempDataset().WithClasses(2, 9, 20, 16);
        PipelineOptions options = Small(12, 10) with
        {
            Read = new StageOptions(2, 3),
            Decode = new StageOptions(2, 2),
            Augment = new StageOptions(1, 2),
            Normalize = new StageOptions(1, 2),
            Augmentations = [new RandomHorizontalFlip()],
        };
        var (fused, fusedPipeline) = await PipelineRunner.RunAsync(options, data.Root);

        var split = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options)
            .AddStage(StagePosition.AfterDecode, "pass", _ => { }, new StageOptions(1, 2))
            .Build(b => split.Add(SeenBatch.Copy(b)));
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);

        Assert.AreEqual(3 + 2, fusedPipeline.MaxSamplesInFlight);
        // Read, decode, the "pass" stage, augment, normalize.
        Assert.AreEqual(3 + 2 + 2 + 2 + 2, pipeline.MaxSamplesInFlight);
        Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Images.PeakSamples);
        Assert.HasCount(fused.Count, split);
        for (int i = 0; i < fused.Count; i++)
        {
            CollectionAssert.AreEqual(fused[i].Data, split[i].Data, $"batch {i}");
            CollectionAssert.AreEqual(fused[i].Paths, split[i].Paths, $"batch {i}");
        }
    }

    [TestMethod]
    public async Task Run_TrainerBlocked_ProducerWaitsInsteadOfBuffering()
    {
        using var data = new TempDataset().WithClasses(2, 150, 8, 8);
        using var release = new SemaphoreSlim(0);
        int passedRead = 0;
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(8, 8) with { BatchSize = 4, PrefetchBatches = 1 })
            .AddStage(StagePosition.AfterRead, "count", _ => Interlocked.Increment(ref passedRead), new StageOptions(1, 2))
            .Build(async (_, ct) => await release.WaitAsync(ct));
        pipeline.Post(data.Root);
        pipeline.Complete();

        // Wait until the graph has filled up and nothing moves any more.
        int last = -1;
        for (int i = 0; i < 400 && passedRead != last; i++)
        {
            last = passedRead;
            await Task.Delay(50);
        }

        // MaxSamplesInFlight includes the counting stage's capacity (2).
        int bound = pipeline.MaxSamplesInFlight + 4 * (2 + 2 + 1 + 1 + 1);
        Assert.IsLessThanOrEqualTo(bound, passedRead, "samples read while the trainer was blocked");
        Assert.IsLessThan(300, passedRead);
        release.Release(int.MaxValue / 2);
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.AreEqual(300, passedRead);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_InMemorySourceUserStageAndUserBlock_PluggedBetweenBuiltInStages()
    {
        using Mat a = TempDataset.Pattern(10, 10, 1);
        using Mat b = TempDataset.Pattern(10, 10, 2);
        Cv2.ImEncode(".png", a, out byte[] pngA);
        Cv2.ImEncode(".png", b, out byte[] pngB);
        var source = new InMemorySampleSource(["a", "b"], [("mem://a", 0, pngA), ("mem://b", 1, pngB)]);
        int decodedSeen = 0;
        var inverter = new TransformBlock<ImageSample, ImageSample>(s =>
        {
            if (!s.IsPadding && !s.IsSkipped)
            {
                Cv2.BitwiseNot(s.Image!, s.Image!);
            }

            return s;
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = 2 });

        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(10, 10) with { ColorMode = ColorMode.Bgr, Shuffle = false, ShuffleWithinBatch = false })
            .UseSource(source)
            .AddStage(StagePosition.AfterDecode, "check", s => { Assert.AreEqual(10, s.Image!.Width); Interlocked.Increment(ref decodedSeen); })
            .AddBlock(StagePosition.AfterAugment, inverter)
            .Build(batch => seen.Add(SeenBatch.Copy(batch)));
        pipeline.Post("ignored");
        pipeline.Complete();
        await pipeline.Completion;

        Assert.AreEqual(2, decodedSeen);
        CollectionAssert.AreEqual(new[] { "mem://a", "mem://b" }, seen[0].Paths);
        using Mat invertedA = new Mat();
        Cv2.BitwiseNot(a, invertedA);
        byte[] row0 = ReferenceImages.FromNchwRow(seen[0].Data.AsSpan(0, 300), 10, 10, 3);
        CollectionAssert.AreEqual(ReferenceImages.Bytes(invertedA), row0);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_UserBlockDropsAMessage_FaultsSayingSoAndMemoryReturned()
    {
        using var data = new TempDataset().WithClasses(2, 6, 8, 8);
        int seen = 0;
        var dropper = new TransformManyBlock<ImageSample, ImageSample>(s =>
        {
            if (Interlocked.Increment(ref seen) == 3)
            {
                return []; // Dropped with its pixels: the pipeline's ledger still returns them.
            }

            return [s];
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = 2 });
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(8, 8) with { BatchSize = 4 })
            .AddBlock(StagePosition.AfterDecode, dropper)
            .Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();

        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        StringAssert.Contains(e.Message, "dropped, added or reordered");
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_UserDefinedAugmentation_AppliedToEveryImageWithItsOwnRandom()
    {
        using var data = new TempDataset().WithClasses(2, 4, 16, 12);
        var augmentation = new RecordingInvert();
        var (batches, _) = await PipelineRunner.RunAsync(Small(16, 12) with { Augmentations = [augmentation], Epochs = 2 }, data.Root);

        foreach (SeenBatch batch in batches)
        {
            for (int r = 0; r < batch.Labels.Length; r++)
            {
                using Mat expected = ReferenceImages.DecodeResize(batch.Paths[r], 16, 12);
                Cv2.BitwiseNot(expected, expected);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.FromNchwRow(batch.Data.AsSpan(r * 576, 576), 16, 12, 3));
            }
        }

        // One context per (epoch, sample): 8 samples x 2 epochs, each keyed by its own index.
        Assert.HasCount(16, augmentation.Keys);
        Assert.AreEqual(16, augmentation.Keys.Distinct().Count());
    }

    [TestMethod]
    public async Task Run_UserAugmentation_SeesPixelsInRgbOrder()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 12);
        var probe = new FirstPixelProbe();
        var (batches, _) = await PipelineRunner.RunAsync(Small(16, 12) with { Augmentations = [new RandomHorizontalFlip(0), probe] }, data.Root);

        Dictionary<int, string> paths = batches.SelectMany(b => b.SampleIndices.Zip(b.Paths)).ToDictionary(p => p.First, p => p.Second);
        Assert.HasCount(6, probe.Pixels);
        foreach (var (index, pixel) in probe.Pixels)
        {
            using Mat expected = ReferenceImages.DecodeResize(paths[index], 16, 12);
            Assert.AreEqual(expected.At<Vec3b>(0, 0), pixel, paths[index]);
        }
    }

    [TestMethod]
    public async Task Run_PostAfterComplete_Refused()
    {
        using var data = new TempDataset().WithClasses(1, 2, 8, 8);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small(8, 8)).Build(_ => { });
        Assert.IsTrue(pipeline.Post(data.Root));
        pipeline.Complete();
        Assert.IsFalse(pipeline.Post(data.Root));
        await pipeline.Completion;
        Assert.IsFalse(await pipeline.SendAsync(data.Root));
        Assert.IsTrue(pipeline.Report.StageTime.ContainsKey("decode"));
    }

    private static Mat LoadDigitsSheet()
    {
        using Stream stream = typeof(ImagePipelineTests).Assembly.GetManifestResourceStream("Dataflow.Pipeline.Tests.Data.digits.png")
            ?? throw new InvalidOperationException("The digits sheet (Dataflow.Samples/Data/digits.png) is not embedded in the test assembly.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        Mat sheet = Cv2.ImDecode(memory.ToArray(), ImreadModes.Grayscale);
        Assert.AreEqual(2000, sheet.Width);
        Assert.AreEqual(1000, sheet.Height);
        return sheet;
    }

    private sealed class FirstPixelProbe : IAugmentation
    {
        public System.Collections.Concurrent.ConcurrentDictionary<int, Vec3b> Pixels { get; } = [];

        public Mat Apply(Mat image, AugmentationContext context)
        {
            Pixels[context.SampleIndex] = image.At<Vec3b>(0, 0);
            return image;
        }
    }

    private sealed class RecordingInvert : IAugmentation
    {
        public System.Collections.Concurrent.ConcurrentBag<(int Epoch, int Index)> Keys { get; } = [];

        public Mat Apply(Mat image, AugmentationContext context)
        {
            Keys.Add((context.Epoch, context.SampleIndex));
            var inverted = new Mat();
            Cv2.BitwiseNot(image, inverted);
            return inverted;
        }
    }
}
