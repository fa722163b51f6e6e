using System.Collections.Immutable;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests;

/// <summary>The builder freezes the options at Build: what the caller changes afterwards never reaches a built pipeline.</summary>
[TestClass]
public sealed class ImagePipelineBuilderTests
{
    private static PipelineOptions Small() => new() { Width = 16, Height = 12, ReducedDecode = false, BatchSize = 4, Seed = 5 };

    [TestMethod]
    public async Task Build_CallerChangesItsListsAfterwards_BuiltPipelineRunsWithTheListsAsTheyWereAtBuild()
    {
        using var data = new TempDataset().WithClasses(3, 2, 16, 12);
        data.AddImage("class0", "extra.bmp", 16, 12, seed: 40);
        var augmentations = new List<IAugmentation> { new RandomHorizontalFlip(0) };
        var classes = new List<string> { "class0", "class2" };
        var extensions = new List<string> { ".png" };
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Small() with { Augmentations = augmentations, ClassNames = classes, Extensions = extensions })
            .Build(b => seen.Add(SeenBatch.Copy(b)));

        // After Build: an inverting transform, another class and another extension. None of them may take effect.
        augmentations.Add(new Invert());
        augmentations[0] = new RandomHorizontalFlip(1);
        classes.Add("class1");
        extensions.Add(".bmp");
        Assert.IsTrue(pipeline.Post(data.Root));
        pipeline.Complete();
        await pipeline.Completion;

        CollectionAssert.AreEqual(new[] { "class0", "class2" }, pipeline.ClassNames.ToArray());
        Assert.AreEqual(4, seen.Sum(b => b.Labels.Length));
        foreach (SeenBatch batch in seen)
        {
            for (int r = 0; r < batch.Labels.Length; r++)
            {
                StringAssert.EndsWith(batch.Paths[r], ".png");
                using Mat expected = ReferenceImages.DecodeResize(batch.Paths[r], 16, 12);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.FromNchwRow(batch.Data.AsSpan(r * 576, 576), 16, 12, 3), batch.Paths[r]);
            }
        }

        Assert.HasCount(1, pipeline.Options.Augmentations);
        Assert.AreEqual(0.0, ((RandomHorizontalFlip)pipeline.Options.Augmentations[0]).P);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Build_OptionsOfTheBuiltPipeline_CannotBeChangedThroughTheirLists()
    {
        var options = Small() with { Augmentations = [new RandomHorizontalFlip()], ClassNames = ["a"], Extensions = [".png"] };
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).BuildStream();

        PipelineOptions frozen = pipeline.Options;
        Assert.AreNotSame(options, frozen);
        Assert.IsFalse(frozen.Augmentations is IAugmentation[], "an array could be written through a cast");
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<IAugmentation>)frozen.Augmentations)[0] = new Invert());
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<string>)frozen.ClassNames!).Add("b"));
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<string>)frozen.Extensions!).Clear());
        Assert.AreEqual(Small().Decode, frozen.Decode);
    }

    [TestMethod]
    public void Build_ListChangedBeforeBuild_ChangeIsValidatedAndTaken()
    {
        // The copy is taken at Build, not when the builder is created (as Dataflow copies options when a block is built).
        var augmentations = new List<IAugmentation> { new RandomHorizontalFlip() };
        var builder = ImagePipeline.CreateBuilder(Small() with { Augmentations = augmentations });
        augmentations.Add(null!);
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => builder.BuildStream());
        Assert.AreEqual("Parameter \"Augmentations\" must not hold null, was null at index 1.", e.Message);
    }

    [TestMethod]
    public void Presets_SharedByEveryPipeline_CannotBeChanged()
    {
        // Mean and Std are immutable arrays: the compiler refuses NormalizationOptions.ImageNet.Mean[0] = 0.
        Assert.IsInstanceOfType<ImmutableArray<float>>(NormalizationOptions.ImageNet.Mean);
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<float>)NormalizationOptions.ImageNet.Std)[0] = 1);
        Assert.ThrowsExactly<NotSupportedException>(() =>
            ((IDictionary<string, NormalizationOptions>)NormalizationOptions.Presets)["imagenet"] = NormalizationOptions.None);
        CollectionAssert.AreEqual(new[] { 0.485f, 0.456f, 0.406f }, NormalizationOptions.Presets["imagenet"].Mean.ToArray());

        IReadOnlyList<IAugmentation> first = AugmentationPresets.ImageNet();
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<IAugmentation>)first)[0] = new Invert());
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<IAugmentation>)first).Add(new Invert()));
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<string>)AugmentationPresets.Names)[0] = "heavy");
        Assert.IsInstanceOfType<RandomResizedCrop>(AugmentationPresets.ImageNet()[0]);
        Assert.HasCount(3, AugmentationPresets.ImageNet());
    }

    [TestMethod]
    public void NormalizationOptions_ArraysChangedAfterConstruction_ValuesUnchanged()
    {
        float[] mean = [0.5f, 0.5f, 0.5f], std = [0.25f, 0.25f, 0.25f];
        var options = new NormalizationOptions(1f / 255f, mean, std);
        mean[0] = 9;
        std[0] = 9;
        CollectionAssert.AreEqual(new[] { 0.5f, 0.5f, 0.5f }, options.Mean.ToArray());
        CollectionAssert.AreEqual(new[] { 0.25f, 0.25f, 0.25f }, options.Std.ToArray());
    }

    private sealed class Invert : IAugmentation
    {
        public Mat Apply(Mat image, AugmentationContext context)
        {
            Cv2.BitwiseNot(image, image);
            return image;
        }
    }

    [TestMethod]
    public async Task Build_TaskOrValueTaskStep_EachStepCompletesBeforeTheNextBatchAndBothSeeTheSameBatches()
    {
        using var data = new TempDataset().WithClasses(3, 5, 16, 12);
        PipelineOptions options = Small() with { Epochs = 2, Augmentations = [new RandomHorizontalFlip()] };

        async Task<List<SeenBatch>> RunAsync(Func<List<SeenBatch>, ImagePipelineBuilder, ImagePipeline> build)
        {
            var seen = new List<SeenBatch>();
            await using ImagePipeline pipeline = build(seen, ImagePipeline.CreateBuilder(options));
            pipeline.Post(data.Root);
            pipeline.Complete();
            await pipeline.Completion;
            PipelineRunner.AssertNothingHeld(pipeline);
            return seen;
        }

        int running = 0;
        async Task StepAsync(List<SeenBatch> seen, Batch batch, CancellationToken ct)
        {
            Assert.AreEqual(1, Interlocked.Increment(ref running), "one step at a time");
            await Task.Delay(1, ct);
            seen.Add(SeenBatch.Copy(batch));
            Interlocked.Decrement(ref running);
        }

        // A method returning Task, as most trainers' steps do, and one returning ValueTask.
        List<SeenBatch> withTask = await RunAsync((seen, b) => b.Build((batch, ct) => StepAsync(seen, batch, ct)));
        List<SeenBatch> withValueTask = await RunAsync((seen, b) => b.Build((batch, ct) => new ValueTask(StepAsync(seen, batch, ct))));
        Assert.HasCount(8, withTask);
        PipelineRunner.AssertSameBatches(withValueTask, withTask, "Task step against ValueTask step");
    }

    [TestMethod]
    public async Task Build_FirstEpochWithAPipelineBuiltPerEpoch_EachEpochEqualsThatEpochOfAFullRun()
    {
        using var data = new TempDataset().WithClasses(3, 5, 16, 12);
        PipelineOptions options = Small() with { Epochs = 3, Augmentations = [new RandomResizedCrop(), new RandomHorizontalFlip()] };
        (List<SeenBatch> whole, _) = await PipelineRunner.RunAsync(options, data.Root);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            (List<SeenBatch> one, ImagePipeline pipeline) = await PipelineRunner.RunAsync(options with { FirstEpoch = epoch, Epochs = epoch + 1 }, data.Root);
            PipelineRunner.AssertSameBatches([.. whole.Where(b => b.Epoch == epoch)], one, $"epoch {epoch}");
            Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
        }
    }

    [TestMethod]
    public void Build_FirstEpochWithResumeFromOrAPlanner_ThrowsNamingFirstEpoch()
    {
        var state = new Pipeline.Distributed.PipelineState(1, 0, 0, 1, Pipeline.Distributed.PipelineStateIdentity.For(Small(), "0000000000000000", 10));
        var resumed = Assert.ThrowsExactly<ArgumentException>(() => ImagePipeline.CreateBuilder(Small() with { Epochs = 3, FirstEpoch = 2 }).ResumeFrom(state).BuildStream());
        Assert.AreEqual("FirstEpoch", resumed.ParamName);
        Assert.AreEqual($"\"FirstEpoch\" is 2, and ResumeFrom also sets where the run starts ({state}): leave FirstEpoch at 0. (Parameter 'FirstEpoch')", resumed.Message);
        var planned = Assert.ThrowsExactly<ArgumentException>(() => ImagePipeline.CreateBuilder(Small() with { Epochs = 3, FirstEpoch = 1 }).UsePlanner(Pipeline.Planning.EpochPlanner.For(Small())).BuildStream());
        Assert.AreEqual("\"FirstEpoch\" is 1, and a planner set with UsePlanner starts at its own epoch: leave FirstEpoch at 0. (Parameter 'FirstEpoch')", planned.Message);
    }

    [TestMethod]
    public async Task Build_AgainPerEpochWithoutFirstEpoch_TheRepeatedEpochIsInTheReportAndTheLog()
    {
        using var data = new TempDataset().WithClasses(2, 4, 16, 12);
        PipelineOptions options = Small() with { Augmentations = [new RandomHorizontalFlip()] };

        async Task<(List<SeenBatch> Batches, PipelineReport Report, ListLogger Log)> RunAsync(PipelineOptions o)
        {
            var seen = new List<SeenBatch>();
            var logger = new ListLogger();
            await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(o).UseLogger(logger).Build(b => seen.Add(SeenBatch.Copy(b)));
            pipeline.Post(data.Root);
            pipeline.Complete();
            await pipeline.Completion;
            return (seen, pipeline.Report, logger);
        }

        var first = await RunAsync(options);
        Assert.IsEmpty(first.Report.RepeatedEpochs);

        // The per-epoch habit: the same options built again for "epoch 1" stream epoch 0 again, and say so.
        var again = await RunAsync(options);
        PipelineRunner.AssertSameBatches(first.Batches, again.Batches, "the same batches");
        CollectionAssert.AreEqual(new[] { 0 }, again.Report.RepeatedEpochs.ToArray());
        StringAssert.EndsWith(again.Report.ToString(), "; epoch 0 streamed again with the same seed and options: the same batches as before (FirstEpoch sets the epoch)");
        LogEntry warning = again.Log.Entries.Single(e => e.Event.Name == "EpochRepeated");
        Assert.AreEqual((Microsoft.Extensions.Logging.LogLevel.Warning,
            "Epoch 0 was already streamed by an earlier pipeline of this process over the same data with the same seed and options: the same order and augmentation again. "
            + "A pipeline built per epoch sets FirstEpoch = epoch and Epochs = epoch + 1 (or reads ImageLoader.ReadEpochAsync(epoch))."), (warning.Level, warning.Message));

        // Told which epoch it is, it streams that epoch's own batches, without a word; so does a run whose every epoch is the same.
        var named = await RunAsync(options with { FirstEpoch = 1, Epochs = 2 });
        Assert.IsEmpty(named.Report.RepeatedEpochs);
        PipelineOptions fixedOrder = options with { Augmentations = [], Shuffle = false, ShuffleWithinBatch = false };
        await RunAsync(fixedOrder);
        Assert.IsEmpty((await RunAsync(fixedOrder)).Report.RepeatedEpochs);
    }
}
