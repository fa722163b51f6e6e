using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Distributed;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class S3StorageTests : ObjectStorageTests
{
    private static Dataset? _shared;

    internal override Dataset Shared => _shared ?? throw new InvalidOperationException("not started");

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        _shared = new Dataset(S3Server.Start());
        await _shared.UploadAsync();
    }

    [ClassCleanup]
    public static void Stop() => _shared?.Dispose();

    internal override StorageServer StartServer() => S3Server.Start();

    /// <summary>
    /// Bytes of shard bodies the server sent per epoch, over all ranks, at world size 1, 2 and 4 (each rank its own
    /// pipeline and source, placed by launcher variables), against the shards' total size: about once the dataset in
    /// the shard-buffer order; about once per rank in the built-in full shuffle, which streams every shard on every rank.
    /// </summary>
    [TestMethod]
    public async Task Run_ShardBufferOrderAtWorldSizes124_ServerSendsAboutTheDatasetOncePerEpoch()
    {
        var (folders, shards, index) = ShardStreamRanksTests.Pack(perClass: 40, shardBytes: 16384);
        using (folders)
        using (shards)
        {
            await Shared.Server.UploadFolderAsync(shards.Root, "scale/");
            long dataset = index.Shards.Sum(s => s.Bytes);
            var ratios = new List<string>();
            double? single = null;
            foreach ((int worldSize, bool shardOrder) in new[] { (1, true), (2, true), (4, true), (2, false) })
            {
                PipelineOptions options = ShardStreamRanksTests.Options() with { Augmentations = [] };
                long before = Shared.Server.Proxy.BodyBytes("scale/shard-");
                int samples = 0;
                for (int rank = 0; rank < worldSize; rank++)
                {
                    ShardStreamRanksTests.RankRun run = await ShardStreamRanksTests.RankAsync(Shared.Server.Root("scale"), options, rank, worldSize,
                        sourceOptions: new ShardSourceOptions { Storage = Shared.Server.ProxiedOptions() }, shardOrder: shardOrder);
                    Assert.AreEqual((2L, 0L), (run.StreamedEpochs, run.PerSampleEpochs), "streamed");
                    samples += run.Rows.Count(r => r.Weight == 1f);
                }

                Assert.AreEqual(2 * 120, samples);
                double ratio = (Shared.Server.Proxy.BodyBytes("scale/shard-") - before) / 2.0 / dataset;
                // One process reads each shard from its first image to its last (not the tar's first header, last class
                // member and end blocks): the other world sizes are compared with it.
                single ??= ratio;
                ratios.Add($"{(shardOrder ? "shard buffer" : "full shuffle")} world {worldSize}: {ratio:F3} of the shards' bytes, {ratio / single:F3} of world 1's");
                Assert.IsLessThanOrEqualTo(1.0, ratio, $"world {worldSize}: {ratio:F3} times the dataset's {dataset} bytes per epoch");
                if (shardOrder)
                {
                    Assert.IsTrue(ratio / single.Value is > 0.98 and < 1.05, $"world {worldSize}: {ratio / single.Value:F3} times world 1's bytes per epoch");
                }
                else
                {
                    Assert.IsGreaterThan(1.1, ratio / single.Value, "the full shuffle streams most of every shard on every rank");
                }
            }

            Console.WriteLine($"{index.Shards.Count} shards, {dataset} bytes: {string.Join("; ", ratios)}");
        }
    }
}
