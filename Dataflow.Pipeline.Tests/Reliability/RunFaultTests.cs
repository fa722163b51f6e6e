using System.Collections.Concurrent;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// Faults and interruptions of a run in progress: a throwing trainer, cancellation at any point and under
/// full back-pressure, posting after completion, disposal mid-run, and two runs over one folder at once.
/// Each ends promptly (a guard fails the test if it hangs; no timing is asserted), with nothing leaked and
/// no unobserved task exception.
/// </summary>
[TestClass]
public sealed class RunFaultTests
{
    private const int Classes = 2, PerClass = 20, BatchSize = 4, Epochs = 3;
    private const int BatchesPerEpoch = Classes * PerClass / BatchSize;

    [TestMethod]
    [DataRow(0)]
    [DataRow(7)]
    [DataRow(Epochs * BatchesPerEpoch - 1)]
    public async Task Run_TrainerThrowsOnBatchK_CompletionCarriesTheOriginalException(int k)
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            var boom = new InvalidOperationException($"trainer failed on batch {k} of {data.Root}");
            int calls = 0;
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options()).Build(async (batch, ct) =>
            {
                await Task.Yield();
                if (Interlocked.Increment(ref calls) == k + 1)
                {
                    throw boom;
                }
            });
            Exception? error = await RunAsync(pipeline, data.Root);

            // The exception itself: not wrapped in an AggregateException, not turned into a cancellation.
            Assert.AreSame(boom, error, $"got {error}");
            Assert.IsFalse(pipeline.Completion.IsCanceled);
            Assert.AreEqual(k + 1, calls, "no batch is handed over after the one that threw");
            PipelineRunner.AssertNothingHeld(pipeline);
        });
    }

    [TestMethod]
    public async Task Run_TrainerThrowsItsOwnOperationCanceledException_RunStopsWithThatException()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // An OperationCanceledException the trainer raises for its own reasons (a timeout of its own) is not
            // the run's cancellation: it must not be dropped silently and the run must not go on without that batch.
            var own = new OperationCanceledException($"the trainer's own timeout in {data.Root}");
            int calls = 0;
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options()).Build(_ =>
            {
                if (++calls == 2)
                {
                    throw own;
                }
            });
            Exception? error = await RunAsync(pipeline, data.Root);
            Assert.AreSame(own, error, $"got {error}");
            Assert.AreEqual(2, calls);
            Assert.IsTrue(pipeline.Completion.IsFaulted, $"the run was not cancelled: expected Faulted, was {pipeline.Completion.Status}");
            PipelineRunner.AssertNothingHeld(pipeline);
        });
    }

    [TestMethod]
    public async Task Run_UserStageThrowsOperationCanceledException_SampleSkippedNotDropped()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // Dataflow silently drops a message whose delegate throws OperationCanceledException; the pipeline
            // must treat one that is not the run's cancellation as the sample's failure.
            string victim = Path.Combine(data.Root, "class1", "img007.png");
            FaultRun run = await FaultHarness.RunAsync(Options(), data.Root, b => b.AddStage(StagePosition.AfterDecode, "picky", s =>
            {
                if (s.Info!.Id == victim)
                {
                    throw new OperationCanceledException($"the stage gave up on {s.Info.Id}");
                }
            }));
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.HasCount(Epochs, run.Report.Skipped);
            SkippedSample skipped = run.SkippedOnce(victim);
            Assert.AreEqual("picky", skipped.Stage);
            Assert.Contains("gave up", skipped.Reason);
        });
    }

    [TestMethod]
    public async Task ReadAllAsync_BadFileUnderFailFast_EnumerationThrowsNamingTheFile()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string bad = data.WriteBytes("class1/zz-broken.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options() with { ErrorPolicy = ErrorPolicy.FailFast }).BuildStream();
            Assert.IsTrue(pipeline.Post(data.Root));
            pipeline.Complete();
            int rows = 0;
            var failed = await Assert.ThrowsExactlyAsync<SampleFailedException>(async () =>
            {
                await foreach (Batch batch in pipeline.ReadAllAsync().WithCancellation(CancellationToken.None))
                {
                    using (batch)
                    {
                        rows += batch.Count;
                    }
                }
            }).WaitAsync(FaultHarness.Guard);
            Assert.AreEqual(bad, failed.Path);
            Assert.IsLessThan(Epochs * Classes * PerClass, rows);
            Assert.AreSame(failed, await FaultHarness.CompletionOf(pipeline));
            PipelineRunner.AssertNothingHeld(pipeline);
        });
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    [DataRow(5)]
    [DataRow(6)]
    public async Task Run_CancelledAtASeededRandomPoint_EndsCanceledWithNothingLeaked(int seed)
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // The seed picks where the cancellation comes from, how, and after how many samples or batches.
            var random = new Random(seed);
            int where = random.Next(3); // 0: the trainer, 1: a stage after read, 2: a stage after decode
            bool external = random.Next(2) == 0; // the token given to Build, or ImagePipeline.Cancel
            int total = Epochs * Classes * PerClass;
            int at = where == 0 ? random.Next(Epochs * BatchesPerEpoch) : random.Next(total);
            using var cts = new CancellationTokenSource();
            ImagePipeline? pipeline = null;
            int seen = 0;
            void Tick(int limit)
            {
                if (Interlocked.Increment(ref seen) == limit + 1)
                {
                    if (external)
                    {
                        cts.Cancel();
                    }
                    else
                    {
                        pipeline!.Cancel();
                    }
                }
            }

            ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(Options());
            if (where > 0)
            {
                builder.AddStage(where == 1 ? StagePosition.AfterRead : StagePosition.AfterDecode, "cancel-point", _ => Tick(at), new StageOptions(2, 4));
            }

            var batches = new ConcurrentQueue<int>();
            pipeline = builder.Build(b =>
            {
                batches.Enqueue(b.Count);
                if (where == 0)
                {
                    Tick(at);
                }
            }, cts.Token);
            Exception? error = await RunAsync(pipeline, data.Root);

            Assert.IsInstanceOfType<OperationCanceledException>(error, $"seed {seed} (where {where}, at {at}): got {error}");
            Assert.IsTrue(pipeline.Completion.IsCanceled);
            Assert.IsLessThan((long)total, pipeline.Report.Batched, "the run stopped early");
            Assert.AreEqual(pipeline.Report.Batched, batches.Sum(), "every batch counted was handed over");
            PipelineRunner.AssertNothingHeld(pipeline);
        });
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Run_CancelledWhileEveryBlockIsFull_EndsCanceledWithNothingLeaked(bool external)
    {
        using var data = Dataset(perClass: 60);
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            using var cts = new CancellationTokenSource();
            var counter = new ObservedFolderSource();
            int trainerCalls = 0;
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options() with { PrefetchBatches = 1 })
                .UseSource(counter)
                .Build(async (_, ct) =>
                {
                    // The trainer takes the first batch and holds it until the run is cancelled.
                    Interlocked.Increment(ref trainerCalls);
                    await Task.Delay(Timeout.Infinite, ct);
                }, cts.Token);
            Assert.IsTrue(pipeline.Post(data.Root));
            pipeline.Complete();

            await WaitUntilFullAsync(pipeline, counter);
            Assert.IsLessThan(Epochs * Classes * 60, counter.Reads, "back-pressure stopped the reads");
            if (external)
            {
                cts.Cancel();
            }
            else
            {
                pipeline.Cancel();
            }

            Exception? error = await FaultHarness.CompletionOf(pipeline);
            Assert.IsInstanceOfType<OperationCanceledException>(error, $"got {error}");
            Assert.AreEqual(1, trainerCalls);
            PipelineRunner.AssertNothingHeld(pipeline);
        });
    }

    [TestMethod]
    public async Task DisposeAsync_MidRunWithEveryBlockFull_CancelsAndReturnsEverything()
    {
        using var data = Dataset(perClass: 60);
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            var counter = new ObservedFolderSource();
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options() with { PrefetchBatches = 1 })
                .UseSource(counter)
                .Build(async (_, ct) => await Task.Delay(Timeout.Infinite, ct));
            Assert.IsTrue(pipeline.Post(data.Root));
            pipeline.Complete();
            await WaitUntilFullAsync(pipeline, counter);

            await pipeline.DisposeAsync().AsTask().WaitAsync(FaultHarness.Guard);
            Assert.IsTrue(pipeline.Completion.IsCanceled);
            PipelineRunner.AssertNothingHeld(pipeline);

            // Disposing again, and posting to a disposed pipeline, are harmless.
            await pipeline.DisposeAsync().AsTask().WaitAsync(FaultHarness.Guard);
            Assert.IsFalse(pipeline.Post(data.Root));
        });
    }

    [TestMethod]
    public async Task DisposeAsync_WhileBatchesFlow_CancelsAndReturnsEverything()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int calls = 0;
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options()).Build(_ =>
            {
                if (Interlocked.Increment(ref calls) == 3)
                {
                    third.SetResult();
                }
            });
            Assert.IsTrue(pipeline.Post(data.Root));
            pipeline.Complete();
            await third.Task.WaitAsync(FaultHarness.Guard);

            await pipeline.DisposeAsync().AsTask().WaitAsync(FaultHarness.Guard);
            Assert.IsTrue(pipeline.Completion.IsCompleted);
            Assert.IsFalse(pipeline.Completion.IsFaulted, $"got {pipeline.Completion.Exception}");
            PipelineRunner.AssertNothingHeld(pipeline);
        });
    }

    [TestMethod]
    public async Task Post_AfterCompleteAfterTheRunAndAfterAFault_Refused()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options()).Build(_ => { });
            Assert.IsTrue(pipeline.Post(data.Root));
            pipeline.Complete();
            Assert.IsFalse(pipeline.Post(data.Root), "after Complete");
            Assert.IsFalse(await pipeline.SendAsync(data.Root), "SendAsync after Complete");
            Assert.IsNull(await FaultHarness.CompletionOf(pipeline));
            Assert.IsFalse(pipeline.Post(data.Root), "after the run");

            // As a Dataflow target: a linked source's message is declined for good.
            var source = new BufferBlock<string>();
            source.LinkTo(pipeline);
            Assert.IsTrue(source.Post(data.Root));
            Assert.AreEqual(1, source.Count, "the message stays with its source");

            // A pipeline that faulted refuses posts too.
            ImagePipeline faulted = ImagePipeline.CreateBuilder(Options()).Build(_ => { });
            Assert.IsTrue(faulted.Post(Path.Combine(data.Root, "missing")));
            faulted.Complete();
            Assert.IsInstanceOfType<DirectoryNotFoundException>(await FaultHarness.CompletionOf(faulted));
            Assert.IsFalse(faulted.Post(data.Root), "after a fault");
            PipelineRunner.AssertNothingHeld(faulted);
        });
    }

    [TestMethod]
    public async Task Run_TwoPipelinesOverOneFolderAtOnce_BothCompleteWithTheSameBatches()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            PipelineOptions options = Options() with { Shuffle = true, ShuffleWithinBatch = true, Seed = 11 };
            FaultRun[] runs = await Task.WhenAll(FaultHarness.RunAsync(options, data.Root), FaultHarness.RunAsync(options, data.Root));
            foreach (FaultRun run in runs)
            {
                FaultHarness.AssertFinishedAndAccounted(run);
                Assert.AreEqual((long)Epochs * Classes * PerClass, run.Report.Batched);
            }

            Assert.HasCount(runs[0].Batches.Count, runs[1].Batches);
            foreach ((SeenBatch a, SeenBatch b) in runs[0].Batches.OrderBy(b => (b.Epoch, b.Index)).Zip(runs[1].Batches.OrderBy(b => (b.Epoch, b.Index))))
            {
                CollectionAssert.AreEqual(a.Paths, b.Paths);
                CollectionAssert.AreEqual(a.Data, b.Data);
            }
        });
    }

    private static TempDataset Dataset(int perClass = PerClass) => new TempDataset().WithClasses(Classes, perClass, 16, 12);

    private static PipelineOptions Options() => FaultHarness.Small(epochs: Epochs) with { BatchSize = BatchSize };

    private static async Task<Exception?> RunAsync(ImagePipeline pipeline, string root)
    {
        Assert.IsTrue(pipeline.Post(root));
        pipeline.Complete();
        return await FaultHarness.CompletionOf(pipeline);
    }

    /// <summary>
    /// Waits until back-pressure has stopped the graph: the reads have stopped (unchanged over ten polls) and the
    /// read block holds its full capacity of loaded samples, which it can only do when the decode block refuses
    /// more, which in turn means every block after it is full.
    /// </summary>
    private static async Task WaitUntilFullAsync(ImagePipeline pipeline, ObservedFolderSource counter)
    {
        int stable = 0, last = -1;
        await FaultHarness.WaitUntilAsync(() =>
        {
            int now = counter.Reads;
            stable = now == last ? stable + 1 : 0;
            last = now;
            return stable >= 10 && pipeline.Images.LiveSamples == pipeline.Options.Read.BoundedCapacity;
        }, "every block to fill up");
    }
}
