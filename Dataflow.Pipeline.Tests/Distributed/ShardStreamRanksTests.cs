using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Distributed;

/// <summary>
/// Streamed shards in the shard-buffer order split between ranks, each rank its own pipeline and source told its place by
/// the launcher's variables (<c>RANK</c>, <c>WORLD_SIZE</c>), over real shard files: every sample once per epoch, each
/// rank reading only its shards, and runs stopped and resumed at the same and at another world size.
/// </summary>
[TestClass]
public sealed class ShardStreamRanksTests
{
    private const int Buffer = 6;

    /// <summary>One row a rank was handed: its epoch, sample, weight and pixels.</summary>
    internal sealed record Row(int Epoch, string Id, float Weight, float[] Pixels);

    /// <summary>What one rank's run delivered, the state after its last batch, and its source's counters.</summary>
    internal sealed record RankRun(List<Row> Rows, PipelineState? State, long Requests, long StreamedEpochs, long PerSampleEpochs, int Batches);

    /// <summary>3 classes x 14 images packed into shards of about 4 KiB (about ten shards).</summary>
    internal static (TempDataset Folders, TempDataset Shards, ShardIndex Index) Pack(int perClass = 14, int shardBytes = 4096)
    {
        var folders = new TempDataset();
        int seed = 1;
        foreach (string c in new[] { "cat", "dog", "eel" })
        {
            for (int i = 0; i < perClass; i++)
            {
                folders.AddImage(c, $"img{i:D2}.{(i % 2 == 0 ? "png" : "jpg")}", 24 + i % 5, 18 + i % 3, seed++);
            }
        }

        var shards = new TempDataset();
        ShardIndex index = ShardWriter.Pack([folders.Root], shards.Root, new PackOptions { TargetShardBytes = shardBytes });
        return (folders, shards, index);
    }

    internal static PipelineOptions Options(int epochs = 2, RemainderPolicy remainder = RemainderPolicy.Pad) => new()
    {
        Width = 12,
        Height = 10,
        BatchSize = 3,
        Epochs = epochs,
        Seed = 23,
        Remainder = remainder,
        ReadLauncherEnvironment = true,
        Augmentations = [new RandomHorizontalFlip(), new ColorJitter(brightness: 0.3)],
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 8),
    };

    /// <summary>Rank <paramref name="rank"/> of <paramref name="worldSize"/>, placed by launcher variables, for at most <paramref name="stopAfter"/> batches.</summary>
    internal static async Task<RankRun> RankAsync(string root, PipelineOptions options, int rank, int worldSize, PipelineState? resume = null,
        int stopAfter = int.MaxValue, ShardSourceOptions? sourceOptions = null, bool shardOrder = true)
    {
        using var source = new ShardSampleSource(sourceOptions);
        var variables = new Dictionary<string, string> { ["RANK"] = $"{rank}", ["WORLD_SIZE"] = $"{worldSize}" };
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options).UseSource(source).UseEnvironment(variables.GetValueOrDefault);
        if (shardOrder)
        {
            builder.UsePlanner(ShardShufflePlanner.For(options, Buffer));
        }

        if (resume is not null)
        {
            builder.ResumeFrom(resume);
        }

        var rows = new List<Row>();
        PipelineState? state = null;
        int batches = 0;
        await using (ImagePipeline pipeline = builder.BuildStream())
        {
            Assert.AreEqual((rank, worldSize), (pipeline.Report.Placement!.Rank, pipeline.Report.Placement.WorldSize), "placed by the launcher's variables");
            pipeline.Post(root);
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync())
            {
                using (batch)
                {
                    for (int j = 0; j < batch.Count; j++)
                    {
                        rows.Add(new Row(batch.Epoch, batch.Paths[j], batch.Weights[j], batch.Row(j).ToArray()));
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

        return new RankRun(rows, state, source.ShardRequests, source.StreamedEpochs, source.PerSampleEpochs, batches);
    }

    /// <summary>Every rank of a world, one after the other (each its own pipeline and source).</summary>
    private static async Task<List<RankRun>> WorldAsync(string root, PipelineOptions options, int worldSize, PipelineState? resume = null, int stopAfter = int.MaxValue)
    {
        var runs = new List<RankRun>();
        for (int rank = 0; rank < worldSize; rank++)
        {
            runs.Add(await RankAsync(root, options, rank, worldSize, resume, stopAfter));
        }

        return runs;
    }

    /// <summary>Each sample's pixels per epoch in an uninterrupted single-process run.</summary>
    private static Dictionary<(int, string), float[]> Reference(IEnumerable<Row> rows) => rows.Where(r => r.Weight == 1f).ToDictionary(r => (r.Epoch, r.Id), r => r.Pixels);

    private static void AssertEachSampleOnceWithItsPixels(Dictionary<(int, string), float[]> expected, IEnumerable<Row> rows, string at)
    {
        var real = rows.Where(r => r.Weight == 1f).ToList();
        var twice = real.GroupBy(r => (r.Epoch, r.Id)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.IsEmpty(twice, $"{at}: delivered twice: {string.Join(", ", twice.Take(5))}");
        var missing = expected.Keys.Except(real.Select(r => (r.Epoch, r.Id))).ToList();
        Assert.IsEmpty(missing, $"{at}: never delivered: {string.Join(", ", missing.Take(5))}");
        Assert.HasCount(expected.Count, real, at);
        foreach (Row row in real)
        {
            Assert.IsTrue(expected[(row.Epoch, row.Id)].AsSpan().SequenceEqual(row.Pixels), $"{at}: the pixels of {row.Id} in epoch {row.Epoch} differ from the single process's");
        }
    }

    private static int ShardsOf(IEnumerable<Row> rows, int epoch) =>
        rows.Where(r => r.Epoch == epoch).Select(r => r.Id[..r.Id.IndexOf(".tar", StringComparison.Ordinal)]).Distinct().Count();

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    public async Task Run_WorldSizeN_EverySampleOncePerEpochEachRankStreamingOnlyItsShards(int worldSize)
    {
        var (folders, shards, index) = Pack();
        using (folders)
        using (shards)
        {
            PipelineOptions options = Options();
            RankRun single = await RankAsync(shards.Root, options, 0, 1);
            Dictionary<(int, string), float[]> expected = Reference(single.Rows);
            Assert.HasCount(2 * 42, expected);

            List<RankRun> ranks = await WorldAsync(shards.Root, options, worldSize);
            AssertEachSampleOnceWithItsPixels(expected, ranks.SelectMany(r => r.Rows), $"world {worldSize}");
            Assert.AreEqual(1, ranks.Select(r => r.Batches).Distinct().Count(), "every rank makes the same number of steps");
            int shardsRead = 0;
            for (int rank = 0; rank < worldSize; rank++)
            {
                RankRun run = ranks[rank];
                Assert.AreEqual((2L, 0L), (run.StreamedEpochs, run.PerSampleEpochs), $"rank {rank}: every epoch streamed");
                int shardsOfRank = ShardsOf(run.Rows, 0) + ShardsOf(run.Rows, 1);
                Assert.AreEqual(shardsOfRank, run.Requests, $"rank {rank}: one request per shard it reads, per epoch");
                shardsRead += shardsOfRank;
            }

            // Each shard is read by one rank, but the shards at the ends of the ranks' runs (read in part by two) and a padding row's.
            Assert.IsLessThanOrEqualTo(2 * (index.Shards.Count + 2 * (worldSize - 1)), shardsRead, $"shards read by all ranks over two epochs of {index.Shards.Count} shards");
        }
    }

    [TestMethod]
    [DataRow(3, 3, 2)]
    [DataRow(3, 2, 3)]
    [DataRow(2, 4, 5)]
    [DataRow(1, 3, 4)]
    [DataRow(4, 1, 1)]
    public async Task Run_StoppedAndResumedAtAnotherWorldSize_EverySampleOncePixelsOfTheUninterruptedRun(int from, int to, int stopAfter)
    {
        var (folders, shards, _) = Pack();
        using (folders)
        using (shards)
        {
            foreach (RemainderPolicy remainder in new[] { RemainderPolicy.Pad, RemainderPolicy.Uneven })
            {
                PipelineOptions options = Options(remainder: remainder);
                string at = $"world {from} stopped after {stopAfter} batches, resumed at world {to}, {remainder}";
                Dictionary<(int, string), float[]> expected = Reference((await RankAsync(shards.Root, options, 0, 1)).Rows);
                List<RankRun> stopped = await WorldAsync(shards.Root, options, from, stopAfter: stopAfter);
                Assert.IsTrue(stopped.All(r => r.Batches == stopAfter), at);
                PipelineState state = PipelineState.Agreed([.. stopped.Select(r => PipelineState.Parse(r.State!.ToBytes()))]);
                Assert.AreEqual(0, state.Epoch, at);
                List<RankRun> resumed = await WorldAsync(shards.Root, options, to, state);
                AssertEachSampleOnceWithItsPixels(expected, stopped.Concat(resumed).SelectMany(r => r.Rows), at);
                Assert.IsTrue(resumed.All(r => r.PerSampleEpochs == 0), $"{at}: the resumed epochs were streamed");

                if (from == to)
                {
                    // At the same world size the resumed batches are the uninterrupted run's, bit for bit.
                    List<RankRun> whole = await WorldAsync(shards.Root, options, from);
                    for (int rank = 0; rank < from; rank++)
                    {
                        List<Row> expectedRows = whole[rank].Rows, actualRows = [.. stopped[rank].Rows, .. resumed[rank].Rows];
                        Assert.HasCount(expectedRows.Count, actualRows, $"{at}: rank {rank}");
                        for (int i = 0; i < expectedRows.Count; i++)
                        {
                            Assert.AreEqual((expectedRows[i].Id, expectedRows[i].Weight), (actualRows[i].Id, actualRows[i].Weight), $"{at}: rank {rank}, row {i}");
                            Assert.IsTrue(expectedRows[i].Pixels.AsSpan().SequenceEqual(actualRows[i].Pixels), $"{at}: rank {rank}, row {i}");
                        }
                    }
                }
            }
        }
    }

    [TestMethod]
    public async Task Build_ShardPlannerMadeForOtherOptionsWithRanks_RefusedNamingEachOption()
    {
        PipelineOptions options = Options();
        var variables = new Dictionary<string, string> { ["RANK"] = "1", ["WORLD_SIZE"] = "2" };
        var e = Assert.ThrowsExactly<ArgumentException>(() => ImagePipeline.CreateBuilder(options)
            .UsePlanner(ShardShufflePlanner.For(options with { BatchSize = 5, Seed = 2 }, Buffer)).UseEnvironment(variables.GetValueOrDefault).BuildStream());
        StringAssert.StartsWith(e.Message, "The ShardShufflePlanner was made with BatchSize 5 (the options' 3), Seed 2 (the options' 23): a run with rank 1 of 2");
        StringAssert.Contains(e.Message, "ShardShufflePlanner.For(options, bufferSize)");
        await Task.CompletedTask;
    }
}
