using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Distributed;

[TestClass]
public sealed class ResumeTests
{
    private sealed record Delivered(int Epoch, int Index, float[] Data, int[] Labels, string[] Paths, float[] Weights, PipelineState? State);

    private static PipelineOptions Options(int rank = 0, int worldSize = 1) => new()
    {
        Width = 12,
        Height = 10,
        BatchSize = 4,
        Epochs = 2,
        Seed = 5,
        Rank = rank,
        WorldSize = worldSize,
        Augmentations = [new RandomHorizontalFlip(), new ColorJitter(brightness: 0.3)],
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 8),
    };

    private static async Task<List<Delivered>> RunAsync(string root, PipelineOptions options, PipelineState? resume = null)
    {
        var seen = new List<Delivered>();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        if (resume is not null)
        {
            builder.ResumeFrom(resume);
        }

        await using ImagePipeline pipeline = builder.Build((Batch b) =>
            seen.Add(new Delivered(b.Epoch, b.Index, b.Data.ToArray(), [.. b.Labels], [.. b.Paths], [.. b.Weights], b.State)));
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
        return seen;
    }

    private static void AssertSame(IReadOnlyList<Delivered> expected, IReadOnlyList<Delivered> actual, string at)
    {
        Assert.HasCount(expected.Count, actual, at);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual((expected[i].Epoch, expected[i].Index), (actual[i].Epoch, actual[i].Index), at);
            CollectionAssert.AreEqual(expected[i].Paths, actual[i].Paths, at);
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels, at);
            CollectionAssert.AreEqual(expected[i].Weights, actual[i].Weights, at);
            Assert.IsTrue(expected[i].Data.AsSpan().SequenceEqual(actual[i].Data), $"{at}: tensor of batch {i} differs");
            Assert.AreEqual(expected[i].State?.ToString(), actual[i].State?.ToString(), at);
        }
    }

    [TestMethod]
    public async Task ResumeFrom_StoppedAtEpochStartMidEpochOrLastBatch_GivesTheUninterruptedBatches()
    {
        using var data = new TempDataset().WithClasses(3, 7, 16, 12);
        List<Delivered> whole = await RunAsync(data.Root, Options());
        Assert.HasCount(12, whole); // 21 images in batches of 4: 6 per epoch.

        // After batch k - 1: mid-epoch (k = 3), at the second epoch's start (k = 6), before the last batch (k = 11).
        foreach (int k in new[] { 3, 6, 11 })
        {
            PipelineState state = PipelineState.Parse(whole[k - 1].State!.ToBytes());
            List<Delivered> rest = await RunAsync(data.Root, Options(), state);
            AssertSame(whole[k..], rest, $"resumed after {k} batches");
        }

        Assert.AreEqual((2, 0L), (whole[^1].State!.Epoch, whole[^1].State!.Position), "after the last batch the state is past the run");
    }

    [TestMethod]
    public async Task ResumeFrom_ElasticFourToThree_DeliversTheRestOfTheEpochExactlyOnce()
    {
        using var data = new TempDataset().WithClasses(3, 30, 16, 12);
        var before = new List<Delivered>();
        PipelineState? state = null;
        for (int rank = 0; rank < 4; rank++)
        {
            // Each rank stops after its second batch (a pre-emption at step 2): the states of all ranks are the same.
            List<Delivered> part = (await RunAsync(data.Root, Options(rank, 4) with { Epochs = 1 })).Take(2).ToList();
            before.AddRange(part);
            Assert.IsTrue(state is null || state.ToString() == part[^1].State!.ToString());
            state = part[^1].State;
        }

        var after = new List<Delivered>();
        for (int rank = 0; rank < 3; rank++)
        {
            List<Delivered> rest = await RunAsync(data.Root, Options(rank, 3) with { Epochs = 1 }, state);
            after.AddRange(rest);
            Assert.AreEqual(2, rest[0].Index, "the resumed epoch goes on from step 2");
        }

        string[] real = [.. before.Concat(after).SelectMany(b => b.Paths.Where((_, i) => b.Weights[i] == 1f))];
        CollectionAssert.AreEquivalent(Directory.GetFiles(data.Root, "*.png", SearchOption.AllDirectories), real);
    }

    [TestMethod]
    public async Task ResumeFrom_AnotherDataset_FailsNamingIt()
    {
        using var data = new TempDataset().WithClasses(2, 5, 16, 12);
        using var other = new TempDataset().WithClasses(2, 6, 16, 12);
        List<Delivered> whole = await RunAsync(data.Root, Options());

        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options()).ResumeFrom(whole[0].State!).Build((Batch _) => { });
        pipeline.Post(other.Root);
        pipeline.Complete();
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => pipeline.Completion);
        StringAssert.Contains(e.Message, "The pipeline state was saved over another dataset: 10 selected samples");
    }

    [TestMethod]
    public void ResumeFrom_OtherOptions_FailsAtBuildNamingThem()
    {
        PipelineState state = new PipelineState(0, 4, 1, 1, PipelineStateIdentity.For(Options(), "0123456789abcdef", 21));

        var e = Assert.ThrowsExactly<ArgumentException>(() => ImagePipeline.CreateBuilder(Options() with { Width = 14, Augmentations = [] }).ResumeFrom(state).BuildStream());
        StringAssert.Contains(e.Message, "image options (size, colour, resize, interpolation, decode) fingerprint was");
        StringAssert.Contains(e.Message, "Augmentations fingerprint was");
    }

    [TestMethod]
    public async Task Pad_RepeatedRows_HaveWeightZeroAndCountsAddUp()
    {
        using var data = new TempDataset().WithClasses(3, 7, 16, 12);
        int repeats = 0;
        for (int rank = 0; rank < 4; rank++)
        {
            List<Delivered> seen = await RunAsync(data.Root, Options(rank, 4) with { Epochs = 1 });
            Assert.HasCount(2, seen, "21 images, 4 ranks of 4: two steps on every rank");
            repeats += seen.Sum(b => b.Weights.Count(w => w == 0f));
        }

        Assert.AreEqual(3, repeats, "the last step's 5 samples: 2, 1, 1, 1 real rows, three repeats");
    }
}
