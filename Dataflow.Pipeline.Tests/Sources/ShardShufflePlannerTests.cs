using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class ShardShufflePlannerTests
{
    private static async Task<(SampleSet Set, TempDataset Folders, TempDataset Shards, ShardSampleSource Source)> PackedAsync()
    {
        TempDataset folders = ShardTestData.Folders();
        var shards = new TempDataset();
        ShardWriter.Pack([folders.Root], shards.Root, new PackOptions { TargetShardBytes = 8192 });
        var source = new ShardSampleSource();
        return (await source.DiscoverAsync([shards.Root], CancellationToken.None), folders, shards, source);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(100)]
    public async Task Plan_EverySampleOncePerEpoch_WithinTheBufferOfTheShardStream(int bufferSize)
    {
        var (set, folders, shards, source) = await PackedAsync();
        using (folders)
        using (shards)
        using (source)
        {
            int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
            var planner = new ShardShufflePlanner(4, seed: 9, bufferSize);
            var orders = new List<int[]>();
            for (int epoch = 0; epoch < 4; epoch++)
            {
                EpochPlan plan = planner.Plan(set, selected, epoch);
                int[] order = plan.Order.ToArray();
                CollectionAssert.AreEquivalent(selected, order, "every sample exactly once");
                CollectionAssert.AreEqual(order, planner.Plan(set, selected, epoch).Order.ToArray(), "a pure function of (seed, epoch)");
                int[] stream = ShardShufflePlanner.StreamOrder(set, selected, 9, epoch);
                for (int p = 0; p < order.Length; p++)
                {
                    Assert.IsLessThan(p + bufferSize, Array.IndexOf(stream, order[p]), $"position {p} reaches past the buffer into the shard stream");
                }

                if (bufferSize == 1)
                {
                    CollectionAssert.AreEqual(stream, order, "a buffer of one reads the shards front to back");
                }

                orders.Add(order);
            }

            Assert.IsGreaterThan(1, orders.Select(o => string.Join(",", o)).Distinct().Count(), "epochs differ");
        }
    }

    [TestMethod]
    public async Task Plan_ShardsFrontToBack_InAnOrderThatChangesPerEpoch()
    {
        var (set, folders, shards, source) = await PackedAsync();
        using (folders)
        using (shards)
        using (source)
        {
            int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
            var firstShards = Enumerable.Range(0, 8).Select(e => ShardShufflePlanner.StreamOrder(set, selected, 1, e)[0]).Distinct().Count();
            Assert.IsGreaterThan(1, firstShards, "the first shard changes with the epoch");
            int[] stream = ShardShufflePlanner.StreamOrder(set, selected, 1, 0);
            string Shard(int i) => set.Samples[i].Id[..set.Samples[i].Id.IndexOf(".tar", StringComparison.Ordinal)];
            var runs = stream.Select(Shard).Aggregate(new List<string>(), (list, s) =>
            {
                if (list.Count == 0 || list[^1] != s)
                {
                    list.Add(s);
                }

                return list;
            });
            Assert.HasCount(runs.Distinct().Count(), runs, "each shard read in one run");
        }
    }

    [TestMethod]
    public async Task Run_ShardPlanner_BitIdenticalForAnyParallelism()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var shards = new TempDataset();
        ShardWriter.Pack([folders.Root], shards.Root, new PackOptions { TargetShardBytes = 8192 });
        var results = new List<List<SeenBatch>>();
        foreach (int workers in new[] { 1, 4 })
        {
            PipelineOptions options = ShardTestData.Options(epochs: 2) with
            {
                Read = new StageOptions(workers, 2 * workers),
                Decode = new StageOptions(workers, 2 * workers),
            };
            using var source = new ShardSampleSource();
            var seen = new List<SeenBatch>();
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).UsePlanner(ShardShufflePlanner.For(options, bufferSize: 5))
                .Build(b => seen.Add(SeenBatch.Copy(b)));
            pipeline.Post(shards.Root);
            pipeline.Complete();
            await pipeline.Completion;
            PipelineRunner.AssertNothingHeld(pipeline);
            Assert.AreEqual(24, seen.Sum(b => b.Labels.Length));
            results.Add(seen);
        }

        Assert.HasCount(results[0].Count, results[1]);
        for (int i = 0; i < results[0].Count; i++)
        {
            CollectionAssert.AreEqual(results[0][i].Paths, results[1][i].Paths);
            CollectionAssert.AreEqual(results[0][i].Data, results[1][i].Data);
        }
    }

    [TestMethod]
    public void Create_BufferOfZero_NamesTheParameter()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new ShardShufflePlanner(4, 0, 0));
        Assert.StartsWith("Parameter \"BufferSize\" must be at least 1, was 0.", e.Message);
    }
}
