using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Reliability;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Graph;

/// <summary>
/// The same completion, fault, cancellation, bound and ownership tests on every graph shape the plan can choose
/// (as Channels' <c>ChannelTestBase</c> runs one contract over every channel kind): each derived class sets up a run
/// that the plan builds as its shape, and the first assertion of every test checks that it did.
/// </summary>
public abstract class GraphContractTests
{
    /// <summary>The start of <see cref="PipelineReport.Graph"/> for this shape.</summary>
    protected abstract string ShapePrefix { get; }

    /// <summary>Images of this size give the shape (small ones travel in chunks).</summary>
    protected abstract (int Width, int Height) ImageSize { get; }

    /// <summary>The builder's extra set-up for this shape (a user stage, a source).</summary>
    protected virtual ImagePipelineBuilder Configure(ImagePipelineBuilder builder) => builder;

    /// <summary>The root to post for the class folders at <paramref name="folders"/> (them, or shards made from them).</summary>
    protected virtual string Root(string folders) => folders;

    /// <summary>Releases what <see cref="Configure"/> made.</summary>
    [TestCleanup]
    public virtual void Cleanup()
    {
    }

    private PipelineOptions Options(int epochs = 2, ErrorPolicy policy = ErrorPolicy.SkipAndReport) => new()
    {
        Width = ImageSize.Width,
        Height = ImageSize.Height,
        BatchSize = 16,
        Epochs = epochs,
        Seed = 3,
        ErrorPolicy = policy,
        ReducedDecode = false,
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 4),
        Augmentations = [new RandomHorizontalFlip()],
    };

    private static TempDataset Dataset() => new TempDataset().WithClasses(3, 14, 24, 20);

    private ImagePipeline Build(PipelineOptions options, Func<Batch, CancellationToken, ValueTask> trainer) =>
        Configure(ImagePipeline.CreateBuilder(options)).Build(trainer);

    private void AssertShape(ImagePipeline pipeline) =>
        Assert.IsTrue(pipeline.Report.Graph.StartsWith(ShapePrefix, StringComparison.Ordinal), $"expected a {ShapePrefix} graph: {pipeline.Report.Graph}");

    [TestMethod]
    public async Task Run_ToTheEnd_EverySampleOncePerEpochCountsAddUpNothingHeld()
    {
        using TempDataset data = Dataset();
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = Build(Options(), (b, _) =>
        {
            seen.Add(SeenBatch.Copy(b));
            return ValueTask.CompletedTask;
        });
        pipeline.Post(Root(data.Root));
        pipeline.Complete();

        Assert.IsNull(await FaultHarness.CompletionOf(pipeline));
        AssertShape(pipeline);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            string[] paths = [.. seen.Where(b => b.Epoch == epoch).SelectMany(b => b.Paths).Order(StringComparer.Ordinal)];
            Assert.HasCount(42, paths, $"epoch {epoch}");
            Assert.AreEqual(42, paths.Distinct().Count(), $"epoch {epoch}: every sample once");
        }

        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_TrainerThrows_FaultsWithTheOriginalExceptionNothingHeld()
    {
        using TempDataset data = Dataset();
        var boom = new InvalidTimeZoneException("trainer failed");
        int calls = 0;
        ImagePipeline pipeline = Build(Options(), (_, _) => ++calls == 2 ? throw boom : ValueTask.CompletedTask);
        pipeline.Post(Root(data.Root));
        pipeline.Complete();

        Assert.AreSame(boom, await FaultHarness.CompletionOf(pipeline));
        AssertShape(pipeline);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_CancelledFromTheTrainer_EndsCanceledNothingHeld()
    {
        using TempDataset data = Dataset();
        using var cts = new CancellationTokenSource();
        int calls = 0;
        ImagePipeline pipeline = Configure(ImagePipeline.CreateBuilder(Options(epochs: 4))).Build((_, _) =>
        {
            if (++calls == 3)
            {
                cts.Cancel();
            }

            return ValueTask.CompletedTask;
        }, cts.Token);
        pipeline.Post(Root(data.Root));
        pipeline.Complete();

        Assert.IsInstanceOfType<OperationCanceledException>(await FaultHarness.CompletionOf(pipeline));
        AssertShape(pipeline);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task ReadAllAsync_CancelledWithTheLastBatchesWaitingInTheStream_EndsCanceledNothingHeld()
    {
        // Three batches: the consumer holds the first while the other two wait in the stream's buffer, whose input
        // has then ended. Dataflow does not purge a block whose input had ended when it is cancelled
        // (dotnet/runtime#27357): the run waited for the buffer for ever.
        using TempDataset data = new TempDataset().WithClasses(3, 16, 24, 20);
        using var cts = new CancellationTokenSource();
        ImagePipeline pipeline = Configure(ImagePipeline.CreateBuilder(Options(epochs: 1))).BuildStream(cts.Token);
        pipeline.Post(Root(data.Root));
        pipeline.Complete();
        int batches = 0;
        Exception? error = null;
        try
        {
            await foreach (Batch batch in pipeline.ReadAllAsync(cts.Token))
            {
                using (batch)
                {
                    Assert.AreEqual(1, ++batches, "no batch after the cancellation");
                    var waited = System.Diagnostics.Stopwatch.StartNew();
                    while (pipeline.Blocks[^2].Completion.Status != TaskStatus.RanToCompletion && waited.Elapsed < FaultHarness.Guard)
                    {
                        await Task.Delay(5, CancellationToken.None);
                    }

                    Assert.AreEqual(TaskStatus.RanToCompletion, pipeline.Blocks[^2].Completion.Status, "the last two batches were assembled into the stream's buffer");
                    await Task.Delay(100, CancellationToken.None); // the end of input reaches the buffer
                    await cts.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException e)
        {
            error = e;
        }

        Assert.IsInstanceOfType<OperationCanceledException>(await FaultHarness.CompletionOf(pipeline) ?? error);
        AssertShape(pipeline);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task ReadAllAsync_ConsumerLeavesEarly_RunCancelledNothingHeld()
    {
        using TempDataset data = Dataset();
        ImagePipeline pipeline = Configure(ImagePipeline.CreateBuilder(Options(epochs: 4))).BuildStream();
        pipeline.Post(Root(data.Root));
        pipeline.Complete();
        int batches = 0;
        await foreach (Batch batch in pipeline.ReadAllAsync())
        {
            batch.Dispose();
            if (++batches == 2)
            {
                break;
            }
        }

        Assert.IsInstanceOfType<OperationCanceledException>(await FaultHarness.CompletionOf(pipeline));
        AssertShape(pipeline);
        PipelineRunner.AssertNothingHeld(pipeline);
        await pipeline.DisposeAsync();
    }

    [TestMethod]
    public async Task Run_BadFile_SkippedAndReportedOrFaultUnderFailFastNamingIt()
    {
        using TempDataset data = Dataset();
        string bad = data.WriteBytes("class1/zz-broken.png", [.. "not a png at all"u8]);

        ImagePipeline skipping = Build(Options(), (_, _) => ValueTask.CompletedTask);
        skipping.Post(Root(data.Root));
        skipping.Complete();
        Assert.IsNull(await FaultHarness.CompletionOf(skipping));
        AssertShape(skipping);
        Assert.HasCount(2, skipping.Report.Skipped, "once per epoch");
        Assert.IsTrue(skipping.Report.Skipped.All(s => s.Path.EndsWith("zz-broken.png", StringComparison.Ordinal)), string.Join(" | ", skipping.Report.Skipped));
        Assert.IsTrue(skipping.Report.CountsAddUp, skipping.Report.ToString());
        PipelineRunner.AssertNothingHeld(skipping);

        ImagePipeline failing = Build(Options(policy: ErrorPolicy.FailFast), (_, _) => ValueTask.CompletedTask);
        failing.Post(Root(data.Root));
        failing.Complete();
        var error = await FaultHarness.CompletionOf(failing) as SampleFailedException;
        Assert.IsNotNull(error, failing.Report.ToString());
        StringAssert.EndsWith(error.Path, "zz-broken.png");
        PipelineRunner.AssertNothingHeld(failing);
        _ = bad;
    }

    [TestMethod]
    public async Task Run_SlowTrainer_SamplesHoldingImagesNeverExceedTheGraphsBound()
    {
        using TempDataset data = Dataset();
        ImagePipeline? pipeline = null;
        pipeline = Build(Options(), async (_, _) => await Task.Delay(5, CancellationToken.None));
        pipeline.Post(Root(data.Root));
        pipeline.Complete();

        Assert.IsNull(await FaultHarness.CompletionOf(pipeline));
        AssertShape(pipeline);
        Assert.IsGreaterThan(0, pipeline.MaxSamplesInFlight);
        Assert.IsLessThanOrEqualTo(pipeline.MaxSamplesInFlight, pipeline.Images.PeakSamples, $"peak samples holding data; bound {pipeline.MaxSamplesInFlight}");
        PipelineRunner.AssertNothingHeld(pipeline);
    }
}

/// <summary>The contract on the chunked shape: small images from local files.</summary>
[TestClass]
public sealed class ChunkedGraphContractTests : GraphContractTests
{
    protected override string ShapePrefix => "chunked";

    protected override (int Width, int Height) ImageSize => (12, 10);
}

/// <summary>The contract on the fused shape: photo-sized images from local files.</summary>
[TestClass]
public sealed class FusedGraphContractTests : GraphContractTests
{
    protected override string ShapePrefix => "fused";

    protected override (int Width, int Height) ImageSize => (96, 80);
}

/// <summary>The contract on the split shape: a user stage between decode and augment.</summary>
[TestClass]
public sealed class SplitGraphContractTests : GraphContractTests
{
    protected override string ShapePrefix => "split";

    protected override (int Width, int Height) ImageSize => (12, 10);

    protected override ImagePipelineBuilder Configure(ImagePipelineBuilder builder) =>
        builder.AddStage(StagePosition.AfterDecode, "inspect", s => Assert.IsNotNull(s.Image));
}

/// <summary>The contract on a streamed read: the fused shape over local tar shards, read as each epoch's stream.</summary>
[TestClass]
public sealed class StreamedGraphContractTests : GraphContractTests
{
    private readonly List<IDisposable> _owned = [];

    protected override string ShapePrefix => "fused";

    protected override (int Width, int Height) ImageSize => (96, 80);

    protected override ImagePipelineBuilder Configure(ImagePipelineBuilder builder)
    {
        var source = new ShardSampleSource();
        _owned.Add(source);
        return builder.UseSource(source);
    }

    protected override string Root(string folders)
    {
        var shards = new TempDataset();
        _owned.Add(shards);
        ShardWriter.Pack([folders], shards.Root, new PackOptions { TargetShardBytes = 4096 });
        return shards.Root;
    }

    public override void Cleanup()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }

    [TestMethod]
    public async Task Run_Shards_ReadsAsTheEpochsStream()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 4, 24, 20);
        ImagePipeline pipeline = Configure(ImagePipeline.CreateBuilder(new PipelineOptions { Width = 96, Height = 80, BatchSize = 4, Epochs = 1 })).Build(_ => { });
        pipeline.Post(Root(data.Root));
        pipeline.Complete();
        await pipeline.Completion;

        StringAssert.Contains(pipeline.Report.Graph, "reads streamed");
    }
}
