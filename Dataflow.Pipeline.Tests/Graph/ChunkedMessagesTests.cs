using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Graph;

/// <summary>
/// Small images travel through read and decode in chunks of consecutive positions; the batches must be the ones a
/// graph of one sample per message gives, bit for bit, with the same bounds, skips and clean-up.
/// </summary>
[TestClass]
public sealed class ChunkedMessagesTests
{
    private static PipelineOptions Tiny() => new()
    {
        Width = 12,
        Height = 10,
        ReducedDecode = false,
        BatchSize = 16,
        Seed = 11,
        Epochs = 2,
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 4),
        Augmentations = [new RandomHorizontalFlip()],
    };

    [TestMethod]
    [DataRow(12, 10, 16, 2, 8)]
    [DataRow(12, 10, 16, 1, 16)]
    [DataRow(12, 10, 4, 2, 1)]
    [DataRow(40, 30, 18, 2, 4)]
    [DataRow(40, 30, 6, 2, 1)]
    [DataRow(224, 224, 32, 2, 1)]
    [DataRow(20, 20, 32, 2, 13)]
    [DataRow(8, 8, 1024, 2, 16)]
    public void ChunkSize_SmallImagesInChunks_AtLeastOnePerDecodeWorkerPerBatchAndNoneUnderFour(int width, int height, int batch, int workers, int expected)
    {
        PipelineOptions options = Tiny() with { Width = width, Height = height, BatchSize = batch, Decode = new StageOptions(workers, 2 * workers) };

        Assert.AreEqual(expected, GraphPlan.ChunkSizeFor(options, synchronousRead: true, userStages: false));
        Assert.AreEqual(1, GraphPlan.ChunkSizeFor(options, synchronousRead: false, userStages: false), "a source read asynchronously");
        Assert.AreEqual(1, GraphPlan.ChunkSizeFor(options, synchronousRead: true, userStages: true), "user stages take single samples");
    }

    [TestMethod]
    public async Task Run_InChunks_SameBatchesAsOneSamplePerMessage()
    {
        // 40×30 images go 4 at a time: batches of 18 are chunks of 4, 4, 4, 4 and 2; 3 classes × 15 end each epoch
        // with a short batch of 9, padded.
        using var data = new TempDataset().WithClasses(3, 15, 20, 16);
        PipelineOptions options = Tiny() with { Width = 40, Height = 30, BatchSize = 18 };
        var (chunked, chunkedPipeline) = await PipelineRunner.RunAsync(options, data.Root);
        Assert.AreEqual(4, chunkedPipeline.SamplesPerMessage);

        // A user stage takes single samples, so this graph sends one sample per message.
        var single = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options)
            .AddStage(StagePosition.AfterRead, "pass", _ => { })
            .Build(b => single.Add(SeenBatch.Copy(b)));
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.AreEqual(1, pipeline.SamplesPerMessage);

        Assert.AreEqual(2 * 45, chunked.Sum(b => b.Labels.Length));
        PipelineRunner.AssertSameBatches(single, chunked);
    }

    [TestMethod]
    public async Task Run_InChunksWithTheCacheOrTheFolderIndex_SameBatchesAsOneSamplePerMessage()
    {
        using var data = new TempDataset().WithClasses(3, 15, 20, 16);
        using (var stream = File.Create(Path.Combine(data.Root, FolderIndex.FileName)))
        {
            FolderIndex.Create(data.Root).Save(stream);
        }

        PipelineOptions options = Tiny() with { Epochs = 3 };
        List<SeenBatch> single = await RunAsync(options, null, singleSamples: true, data.Root);
        foreach ((string what, PipelineOptions run, ISampleSource? source) in new (string, PipelineOptions, ISampleSource?)[]
        {
            ("decoded-image cache", options with { Cache = new DecodedImageCacheOptions() }, null),
            ("folder index", options, new IndexedFolderSampleSource()),
        })
        {
            PipelineRunner.AssertSameBatches(single, await RunAsync(run, source, singleSamples: false, data.Root), what);
        }
    }

    [TestMethod]
    public async Task ReadAllAsync_InChunks_EveryBatchInOrder()
    {
        using var data = new TempDataset().WithClasses(2, 20, 12, 10);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Tiny()).BuildStream();
        pipeline.Post(data.Root);
        pipeline.Complete();
        var seen = new List<(int Epoch, int Index, int Rows)>();
        await foreach (var batch in pipeline.ReadAllAsync())
        {
            using (batch)
            {
                seen.Add((batch.Epoch, batch.Index, batch.Count));
            }
        }

        await pipeline.Completion;
        Assert.AreEqual(8, pipeline.SamplesPerMessage);
        CollectionAssert.AreEqual(new[] { (0, 0, 16), (0, 1, 16), (0, 2, 8), (1, 0, 16), (1, 1, 16), (1, 2, 8) }, seen);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_InChunksFailFast_EndsNamingTheFileHoldingNothing()
    {
        using var data = new TempDataset().WithClasses(2, 30, 12, 10);
        string corrupt = data.WriteBytes(Path.Combine("class0", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Tiny() with { ErrorPolicy = ErrorPolicy.FailFast }).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();

        var e = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.AreEqual(corrupt, e.Path);
        Assert.AreEqual(8, pipeline.SamplesPerMessage);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    private static async Task<List<SeenBatch>> RunAsync(PipelineOptions options, ISampleSource? source, bool singleSamples, string root)
    {
        var seen = new List<SeenBatch>();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        if (source is not null)
        {
            builder.UseSource(source);
        }

        if (singleSamples)
        {
            builder.AddStage(StagePosition.AfterRead, "pass", _ => { });
        }

        ImagePipeline pipeline = builder.Build(b => seen.Add(SeenBatch.Copy(b)));
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.AreEqual(singleSamples ? 1 : 8, pipeline.SamplesPerMessage);
        return seen;
    }

    [TestMethod]
    public async Task Run_InChunks_HeldSamplesWithinTheBoundWhateverTheDatasetSize()
    {
        foreach (int perClass in new[] { 20, 200 })
        {
            using var data = new TempDataset().WithClasses(2, perClass, 12, 10);
            var (batches, pipeline) = await PipelineRunner.RunAsync(Tiny() with { Epochs = 1 }, data.Root);

            Assert.AreEqual(2 * perClass, batches.Sum(b => b.Labels.Length));
            Assert.AreEqual(8, pipeline.SamplesPerMessage);
            // Read and decode: 2 workers each, at least two chunks of 8 per worker.
            Assert.AreEqual(2 * 2 * 8 + 2 * 2 * 8, pipeline.MaxSamplesInFlight);
            Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Images.PeakSamples, $"{perClass} per class");
            Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Buffers.Peak, $"{perClass} per class");
        }
    }

    [TestMethod]
    public async Task Run_InChunksTrainerBlocked_ProducerWaitsInsteadOfBuffering()
    {
        using var data = new TempDataset().WithClasses(2, 200, 12, 10);
        using var release = new SemaphoreSlim(0);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Tiny() with { Epochs = 1, PrefetchBatches = 1 })
            .Build(async (_, ct) => await release.WaitAsync(ct));
        pipeline.Post(data.Root);
        pipeline.Complete();

        // Wait until the graph has filled up and nothing is read any more.
        long last = -1;
        for (int i = 0; i < 400 && pipeline.Buffers.Rentals != last; i++)
        {
            last = pipeline.Buffers.Rentals;
            await Task.Delay(50);
        }

        Assert.AreEqual(8, pipeline.SamplesPerMessage);
        // Read while the trainer is blocked: what the read and decode blocks hold, plus the batches past them, as in
        // the one-sample graph (the regroup block's two, assemble's two, delivery's, the trainer's and one handed
        // between blocks), plus the chunk the regroup block has gathered towards the next batch.
        long bound = pipeline.MaxSamplesInFlight + 16 * (2 + 2 + 1 + 1 + 1) + 8;
        Assert.IsLessThanOrEqualTo(bound, pipeline.Buffers.Rentals, "files read while the trainer was blocked");
        Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Images.PeakSamples);
        release.Release(int.MaxValue / 2);
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.AreEqual(400, pipeline.Buffers.Rentals);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_CorruptFileInAChunk_SkippedAloneTheRestOfItsChunkDelivered()
    {
        using var data = new TempDataset().WithClasses(2, 10, 12, 10);
        string corrupt = data.WriteBytes(Path.Combine("class1", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);

        var (batches, pipeline) = await PipelineRunner.RunAsync(Tiny() with { Epochs = 1 }, data.Root);

        Assert.AreEqual(8, pipeline.SamplesPerMessage);
        Assert.AreEqual(20, batches.Sum(b => b.Labels.Length), "every good file, the broken one's chunk included");
        Assert.DoesNotContain(corrupt, batches.SelectMany(b => b.Paths).ToList());
        Assert.AreEqual(corrupt, pipeline.Report.Skipped.Single().Path);
        Assert.AreEqual("decode", pipeline.Report.Skipped.Single().Stage);
    }

    [TestMethod]
    public async Task Run_InChunksCancelledMidRun_EndsCancelledHoldingNothing()
    {
        using var data = new TempDataset().WithClasses(2, 200, 12, 10);
        using var cts = new CancellationTokenSource();
        int seen = 0;
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Tiny()).Build(_ =>
        {
            if (++seen == 3)
            {
                cts.Cancel();
            }
        }, cts.Token);
        pipeline.Post(data.Root);
        pipeline.Complete();

        await Assert.ThrowsAsync<OperationCanceledException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.AreEqual(8, pipeline.SamplesPerMessage);
        PipelineRunner.AssertNothingHeld(pipeline);
    }
}
