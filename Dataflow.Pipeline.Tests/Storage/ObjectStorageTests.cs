using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>
/// What every object store must do, run against a real server (s3rver, Azurite) holding the test dataset twice: as
/// loose class-folder objects under <c>folders/</c> and as shards with their index under <c>shards/</c>.
/// </summary>
public abstract class ObjectStorageTests
{
    internal sealed class Dataset : IDisposable
    {
        public Dataset(StorageServer server)
        {
            Server = server;
            Folders = ShardTestData.Folders();
            Shards = new TempDataset();
            ShardWriter.Pack([Folders.Root], Shards.Root, new PackOptions { TargetShardBytes = 8192 });
        }

        public StorageServer Server { get; }

        public TempDataset Folders { get; }

        public TempDataset Shards { get; }

        public async Task UploadAsync()
        {
            await Server.CreateContainerAsync();
            await Server.UploadFolderAsync(Folders.Root, "folders/");
            await Server.UploadFolderAsync(Shards.Root, "shards/");
        }

        public void Dispose()
        {
            Server.Dispose();
            Folders.Dispose();
            Shards.Dispose();
        }
    }

    internal abstract Dataset Shared { get; }

    /// <summary>Starts another server of the same kind, for a test that breaks it.</summary>
    internal abstract StorageServer StartServer();

    [TestMethod]
    public async Task Discover_FoldersAndShards_SameClassAndBytesAsLocalFolder()
    {
        StorageServer server = Shared.Server;
        List<string> local = await ShardTestData.ClassAndBytesAsync(new FolderSampleSource(), Shared.Folders.Root);
        using var shards = new ShardSampleSource(new ShardSourceOptions { Storage = server.Options() });
        using var scanned = new ShardSampleSource(new ShardSourceOptions { Storage = server.Options(), UseIndex = false, VerifyHashes = true, ClassNames = ["cat", "dog", "eel"] });
        using var folders = new ObjectFolderSampleSource(server.Options());
        CollectionAssert.AreEqual(local, await ShardTestData.ClassAndBytesAsync(shards, server.Root("shards")));
        CollectionAssert.AreEqual(local, await ShardTestData.ClassAndBytesAsync(scanned, server.Root("shards")));
        CollectionAssert.AreEqual(local, await ShardTestData.ClassAndBytesAsync(folders, server.Root("folders")));
    }

    [TestMethod]
    public async Task Run_Shards_SameBatchesAsLocalShards()
    {
        PipelineOptions options = ShardTestData.Options(epochs: 2);
        using var local = new ShardSampleSource();
        using var remote = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options() });
        var (expected, _) = await ShardTestData.RunAsync(local, options, Shared.Shards.Root);
        var (actual, pipeline) = await ShardTestData.RunAsync(remote, options, Shared.Server.Root("shards"));
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, "bit-identical pixels");
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels);
            CollectionAssert.AreEqual(
                expected[i].Paths.Select(p => Path.GetRelativePath(Shared.Shards.Root, p)).ToArray(),
                actual[i].Paths.Select(p => p[(Shared.Server.Root("shards").Length + 1)..]).ToArray());
        }

        Assert.IsEmpty(pipeline.Report.Skipped);
    }

    [TestMethod]
    public async Task Run_ManyParallelReads_BytesInFlightStayUnderTheBound()
    {
        const long bound = 6000;
        PipelineOptions options = ShardTestData.Options() with { Read = new StageOptions(8, 16) };
        using var folders = new ObjectFolderSampleSource(Shared.Server.Options(maxBytesInFlight: bound));
        var (batches, _) = await ShardTestData.RunAsync(folders, options, Shared.Server.Root("folders"));
        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length));
        long peak = StorageServer.PeakBytesInFlight(folders.Stores[0]);
        Assert.IsGreaterThan(0, peak);
        Assert.IsLessThanOrEqualTo(bound, peak, "peak bytes in flight");
    }

    [TestMethod]
    public async Task Discover_WrongCredentialOrMissingContainer_ClearErrorBeforeAnyRead()
    {
        using var wrong = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.WrongCredentials() });
        var e = await Assert.ThrowsAsync<IOException>(() => wrong.DiscoverAsync([Shared.Server.Root("shards")], CancellationToken.None));
        Assert.Contains("was refused", e.Message);
        Assert.Contains($"://{StorageServer.Container}'", e.Message);

        using var missing = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options() });
        e = await Assert.ThrowsAsync<IOException>(() => missing.DiscoverAsync([Shared.Server.MissingContainerRoot], CancellationToken.None));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("no-such-", e.Message);
    }

    [TestMethod]
    public async Task Run_ObjectDeletedMidRun_SampleSkippedNaming404()
    {
        await Shared.Server.UploadFolderAsync(Shared.Folders.Root, "deleted/");
        string victim = "deleted/dog/img1.jpg";
        using var folders = new ObjectFolderSampleSource(Shared.Server.Options());
        var source = new FaultingSource(folders, afterDiscovery: () => Shared.Server.DeleteAsync(victim));
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(), Shared.Server.Root("deleted"));
        Assert.AreEqual(11, batches.Sum(b => b.Labels.Length));
        SkippedSample skipped = pipeline.Report.Skipped.Single();
        Assert.AreEqual(Shared.Server.Root(victim), skipped.Path);
        Assert.Contains("does not exist (404)", skipped.Reason);
    }

    [TestMethod]
    public async Task Run_ServerKilledMidRun_FaultsAfterRetriesNamingTheObjectNothingHeld()
    {
        using StorageServer server = StartServer();
        var data = new Dataset(server);
        try
        {
            await data.UploadAsync();
            using var shards = new ShardSampleSource(new ShardSourceOptions { Storage = server.Options(retries: 2) });
            var source = new FaultingSource(shards, beforeRead: 3, atRead: () =>
            {
                server.Process.Kill();
                return Task.CompletedTask;
            });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(ShardTestData.Options() with { ErrorPolicy = ErrorPolicy.FailFast, Read = new StageOptions(1, 2) })
                .UseSource(source).Build(_ => { }, timeout.Token);
            pipeline.Post(server.Root("shards"));
            pipeline.Complete();
            Exception e = await Assert.ThrowsAsync<Exception>(() => pipeline.Completion);
            Assert.IsFalse(timeout.IsCancellationRequested, "ended by the fault, not by the test's timeout");
            StorageException storage = Find<StorageException>(e) ?? throw new AssertFailedException($"no StorageException in {e}");
            Assert.AreEqual(0, storage.Status, "no answer from a killed server");
            Assert.Contains(server.Root("shards/shard-"), storage.Message);
            Assert.Contains("after the SDK's retries", storage.Message);
            PipelineRunner.AssertNothingHeld(pipeline);
        }
        finally
        {
            data.Dispose();
        }
    }

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }

            if (e is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(x => x is not null);
            }
        }

        return null;
    }
}
