using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Batching;

/// <summary>Batch-level augmentations through the real graph: applied to each assembled batch before delivery.</summary>
[TestClass]
public sealed class BatchAugmentationPipelineTests
{
    private static PipelineOptions Options(int parallelism, IReadOnlyList<IBatchAugmentation> batchAugmentations, TensorLayout layout = TensorLayout.Nchw) => new()
    {
        Width = 24,
        Height = 20,
        BatchSize = 5,
        Epochs = 2,
        Seed = 11,
        Layout = layout,
        BatchAugmentations = batchAugmentations,
        Decode = new StageOptions(parallelism, 2 * parallelism),
        Augment = new StageOptions(parallelism, 2 * parallelism),
        Normalize = new StageOptions(parallelism, 2 * parallelism),
    };

    [TestMethod]
    [DataRow(TensorLayout.Nchw)]
    [DataRow(TensorLayout.Nhwc)]
    public async Task Run_MixUp_EveryDeliveredBatchIsThePlainBatchMixedByItsOwnLambda(TensorLayout layout)
    {
        using var data = new TempDataset().WithClasses(3, 4, width: 36, height: 30);
        var mixup = new MixUp(alpha: 0.4);
        var (plain, _) = await PipelineRunner.RunAsync(Options(2, [], layout), data.Root);
        var (mixed, pipeline) = await PipelineRunner.RunAsync(Options(2, [mixup], layout), data.Root);
        Assert.HasCount(plain.Count, mixed);
        Assert.HasCount(6, mixed);
        for (int b = 0; b < mixed.Count; b++)
        {
            SeenBatch before = plain[b], after = mixed[b];
            CollectionAssert.AreEqual(before.SampleIndices, after.SampleIndices, $"batch {b}: same rows in the same order");
            CollectionAssert.AreEqual(before.Labels, after.Labels, $"batch {b}: each row keeps its own class");
            double lambda = mixup.Draw(new BatchAugmentationContext(11, after.Epoch, after.Index).Random)!.Value;
            int rows = after.Labels.Length, length = after.Data.Length / rows;
            for (int r = 0; r < rows; r++)
            {
                int partner = (r + rows - 1) % rows;
                for (int k = 0; k < length; k += 7)
                {
                    Assert.AreEqual(lambda * before.Data[r * length + k] + (1 - lambda) * before.Data[partner * length + k], after.Data[r * length + k], 1e-5,
                        $"batch {b}, row {r}, value {k}");
                }

                for (int c = 0; c < 3; c++)
                {
                    Assert.AreEqual(lambda * before.OneHot[r * 3 + c] + (1 - lambda) * before.OneHot[partner * 3 + c], after.OneHot[r * 3 + c], 1e-6,
                        $"batch {b}, row {r}, class {c}");
                }

                Assert.AreEqual(1.0, after.OneHot.Skip(r * 3).Take(3).Sum(), 1e-6, $"batch {b}, row {r}: soft labels sum to 1");
            }
        }

        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
    }

    [TestMethod]
    public async Task Run_MixUpOrCutMixAfterRandAugment_BitIdenticalAtParallelismOneAndFour()
    {
        using var data = new TempDataset().WithClasses(2, 9, width: 40, height: 30);
        IReadOnlyList<IBatchAugmentation> mixing = [new BatchOneOf(new MixUp(), new CutMix())];
        PipelineOptions serialOptions = Options(1, mixing) with { Augmentations = [new RandAugment()] };
        var (serial, _) = await PipelineRunner.RunAsync(serialOptions, data.Root);
        var (parallel, _) = await PipelineRunner.RunAsync(Options(4, mixing) with { Augmentations = [new RandAugment()] }, data.Root);
        var (unmixed, _) = await PipelineRunner.RunAsync(serialOptions with { BatchAugmentations = [] }, data.Root);
        Assert.HasCount(8, serial);
        Assert.HasCount(serial.Count, parallel);
        for (int i = 0; i < serial.Count; i++)
        {
            Assert.IsTrue(serial[i].Data.AsSpan().SequenceEqual(parallel[i].Data), $"batch {i}: pixels differ between parallelism 1 and 4");
            CollectionAssert.AreEqual(serial[i].OneHot, parallel[i].OneHot, $"batch {i}: labels");
            Assert.IsFalse(serial[i].Data.AsSpan().SequenceEqual(unmixed[i].Data), $"batch {i} was not mixed");
        }
    }

    [TestMethod]
    public async Task Run_ByteOutput_CutMixPastesExactlyAndMixUpRoundsToTheNearestByte()
    {
        using var data = new TempDataset().WithClasses(3, 4, width: 36, height: 30);
        async Task<List<(byte[] Pixels, float[] OneHot, int Epoch, int Index)>> RunAsync(IReadOnlyList<IBatchAugmentation> mixing)
        {
            var seen = new List<(byte[], float[], int, int)>();
            PipelineOptions options = Options(2, mixing) with { Output = TensorElementType.UInt8, Normalization = NormalizationOptions.None };
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).Build(b => seen.Add((b.ByteData.ToArray(), [.. b.OneHot], b.Epoch, b.Index)));
            pipeline.Post(data.Root);
            pipeline.Complete();
            await pipeline.Completion;
            PipelineRunner.AssertNothingHeld(pipeline);
            return seen;
        }

        var plain = await RunAsync([]);
        var mixup = new MixUp();
        var cutmix = new CutMix();
        var blended = await RunAsync([mixup]);
        var pasted = await RunAsync([cutmix]);
        int length = 3 * 20 * 24;
        for (int b = 0; b < plain.Count; b++)
        {
            byte[] before = plain[b].Pixels;
            int rows = before.Length / length;
            var context = new BatchAugmentationContext(11, plain[b].Epoch, plain[b].Index);
            double lambda = mixup.Draw(context.Random)!.Value;
            var ((x1, y1, x2, y2), cutLambda) = cutmix.Draw(new BatchAugmentationContext(11, plain[b].Epoch, plain[b].Index).Random, 24, 20)!.Value;
            for (int r = 0; r < rows; r++)
            {
                int partner = (r + rows - 1) % rows;
                for (int k = 0; k < length; k++)
                {
                    double expected = lambda * before[r * length + k] + (1 - lambda) * before[partner * length + k];
                    Assert.AreEqual(expected, blended[b].Pixels[r * length + k], 0.5 + 1e-4, $"MixUp batch {b}, row {r}, value {k}");
                    int x = k % 24, y = k / 24 % 20;
                    bool inside = x >= x1 && x < x2 && y >= y1 && y < y2;
                    Assert.AreEqual(before[(inside ? partner : r) * length + k], pasted[b].Pixels[r * length + k], $"CutMix batch {b}, row {r}, value {k}");
                }
            }

            Assert.AreEqual(1.0, blended[b].OneHot.Sum() / rows, 1e-6, "MixUp: soft labels sum to 1 per row");
            Assert.AreEqual(1.0, pasted[b].OneHot.Sum() / rows, 1e-6, "CutMix: soft labels sum to 1 per row");
            Assert.IsInRange(0.0, 1.0, cutLambda);
        }
    }

    [TestMethod]
    public async Task Run_BatchAugmentationThrows_RunFaultsNamingItAndTheBatchNothingHeld()
    {
        using var data = new TempDataset().WithClasses(2, 6, width: 24, height: 20);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options(2, [new MixUp(), new Failing()])).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.AreEqual("The batch augmentation failing failed on batch 0 of epoch 0: 5 rows, shape [5, 3, 20, 24]: no mixing today", e.Message);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    [DataRow(2, false, "row 1 has label 2, outside the 2 classes [0, 1].")]
    [DataRow(-1, false, "row 1 has label -1, outside the 2 classes [0, 1].")]
    [DataRow(2, true, "row 1 has label 2, outside the 2 classes [0, 1].")]
    public async Task Run_BatchAugmentationWritesALabelThatIsNoClass_RunFaultsNamingItTheBatchAndTheRowNothingHeld(int label, bool stream, string reason)
    {
        await AssertFaultsNothingHeld(new TargetWriter(b => b.Labels[1] = label), stream,
            $"The batch augmentation target writer failed on batch 0 of epoch 0: 5 rows, shape [5, 3, 20, 24]: {reason}");
    }

    [TestMethod]
    [DataRow(float.NaN, "row 3 has one-hot value NaN for class 0; one-hot values must be finite and at least 0.")]
    [DataRow(-0.5f, "row 3 has one-hot value -0.5 for class 0; one-hot values must be finite and at least 0.")]
    [DataRow(0.25f, "row 3 has one-hot values summing to 0.25; each row must sum to 1.")]
    public async Task Run_BatchAugmentationWritesAOneHotRowThatIsNoDistribution_RunFaultsNamingItTheBatchAndTheRow(float value, string reason)
    {
        // Row 3 of the first batch (no shuffle) is a class-0 sample: its one-hot row is [1, 0] before the write.
        await AssertFaultsNothingHeld(new TargetWriter(b => b.OneHot[3 * 2] = value), stream: false,
            $"The batch augmentation target writer failed on batch 0 of epoch 0: 5 rows, shape [5, 3, 20, 24]: {reason}");
    }

    private static async Task AssertFaultsNothingHeld(IBatchAugmentation transform, bool stream, string message)
    {
        using var data = new TempDataset().WithClasses(2, 6, width: 24, height: 20);
        PipelineOptions options = Options(2, [transform]) with { Shuffle = false, ShuffleWithinBatch = false };
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        ImagePipeline pipeline = stream ? builder.BuildStream() : builder.Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        if (stream)
        {
            var read = await Assert.ThrowsExactlyAsync<InvalidOperationException>(async () =>
            {
                await foreach (Batch batch in pipeline.ReadAllAsync())
                {
                    batch.Dispose();
                }
            });
            Assert.AreEqual(message, read.Message);
        }

        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.AreEqual(message, e.Message);
        Assert.AreEqual(0, pipeline.Report.Batched, "no batch was handed over");
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public void Build_NullBatchAugmentation_RefusedNamingTheOption()
    {
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => ImagePipeline.CreateBuilder(Options(1, [new MixUp(), null!])).Build(_ => { }));
        Assert.AreEqual("BatchAugmentations", e.ParamName);
        Assert.Contains("Parameter \"BatchAugmentations\" must not hold null, was null at index 1.", e.Message);
    }

    /// <summary>A user's batch transform that writes the batch's targets.</summary>
    private sealed class TargetWriter(Action<Batch> write) : IBatchAugmentation
    {
        public void Apply(Batch batch, BatchAugmentationContext context) => write(batch);

        public override string ToString() => "target writer";
    }

    /// <summary>A user's batch transform that always throws.</summary>
    private sealed class Failing : IBatchAugmentation
    {
        public void Apply(Batch batch, BatchAugmentationContext context) => throw new InvalidOperationException("no mixing today");

        public override string ToString() => "failing";
    }
}
