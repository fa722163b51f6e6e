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
        private readonly PackedShards _packed = ShardTestData.Packed();

        public Dataset(StorageServer server)
        {
            Server = server;
        }

        public ShardIndex Index => _packed.Index;

        public StorageServer Server { get; }

        public TempDataset Folders => _packed.Folders;

        public TempDataset Shards => _packed.Shards;

        public async Task UploadAsync()
        {
            await Server.CreateContainerAsync();
            await Server.UploadFolderAsync(Folders.Root, "folders/");
            await Server.UploadFolderAsync(Shards.Root, "shards/");
        }

        public void Dispose()
        {
            Server.Dispose();
            _packed.Dispose();
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
    public async Task Run_EndpointOnlyInTheEnvironmentGivenToUseEnvironment_StorageReadsItThere()
    {
        (StorageOptions storage, IReadOnlyDictionary<string, string> variables) = Shared.Server.FromEnvironment();
        var asked = new List<string>();
        string? Variable(string name)
        {
            lock (asked)
            {
                asked.Add(name);
            }

            return variables.GetValueOrDefault(name);
        }

        using var expectedSource = new ObjectFolderSampleSource(Shared.Server.Options());
        var (expected, _) = await ShardTestData.RunAsync(expectedSource, ShardTestData.Options(), Shared.Server.Root("folders"));
        using var folders = new ObjectFolderSampleSource(storage);
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(ShardTestData.Options()).UseSource(folders).UseEnvironment(Variable).Build(b => seen.Add(SeenBatch.Copy(b)));
        Assert.IsTrue(pipeline.Post(Shared.Server.Root("folders")));
        pipeline.Complete();
        await pipeline.Completion;

        ShardStreamingTests.AssertSameBatches(expected, seen);
        CollectionAssert.IsSubsetOf(variables.Keys.ToList(), asked, "storage read its variables through the injected function");

        // Without the injected environment the same options do not name the server.
        using var without = new ObjectFolderSampleSource(storage);
        await Assert.ThrowsAsync<Exception>(() => ShardTestData.RunAsync(without, ShardTestData.Options(), Shared.Server.Root("folders")));
    }

    [TestMethod]
    public async Task Run_ShardsInASubFolderOrNamedByAPattern_OnlyTheTopLevelOrTheNamedShardsRead()
    {
        await Shared.Server.UploadFolderAsync(Shared.Shards.Root, "nested/");
        await Shared.Server.UploadFolderAsync(Shared.Shards.Root, "nested/val/");
        int files = Directory.GetFiles(Shared.Shards.Root).Length;
        int shards = Directory.GetFiles(Shared.Shards.Root, "*.tar").Length;
        using var source = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options() });
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(), Shared.Server.Root("nested"));
        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length), "the top level's samples only");
        Assert.AreEqual(
            $"{Shared.Server.Root("nested/val")}: sub-folder not read ({files} files, {shards} of them shards): shards are read from the top level of a location only; post the sub-folder as a root of its own",
            string.Join("; ", pipeline.Report.Ignored.Select(i => $"{i.Path}: {i.Reason}")));

        using var named = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options() });
        (batches, _) = await ShardTestData.RunAsync(named, ShardTestData.Options(), Shared.Server.Root("nested/val/shard-{000000..000001}.tar"));
        Assert.AreEqual(Shared.Index.Shards[0].Samples + Shared.Index.Shards[1].Samples, batches.Sum(b => b.Labels.Length));
        StringAssert.StartsWith(batches[0].Paths[0], Shared.Server.Root("nested/val/shard-00000"));
    }

    [TestMethod]
    public async Task Run_Shards_StreamedSameBatchesAsPerSampleReadsAndLocalShards_OneRequestPerShardPerEpoch()
    {
        PipelineOptions options = ShardTestData.Options(epochs: 2);
        int shards = Directory.GetFiles(Shared.Shards.Root, "*.tar").Length;
        using var local = new ShardSampleSource();
        using var remote = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options() });
        using var perSample = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options(), Streaming = false });
        var (expected, _) = await ShardTestData.RunAsync(local, options, Shared.Shards.Root);
        var (actual, pipeline) = await ShardTestData.RunAsync(remote, options, Shared.Server.Root("shards"));
        var (single, _) = await ShardTestData.RunAsync(perSample, options, Shared.Server.Root("shards"));
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, "bit-identical pixels");
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels);
            CollectionAssert.AreEqual(
                expected[i].Paths.Select(p => Path.GetRelativePath(Shared.Shards.Root, p)).ToArray(),
                actual[i].Paths.Select(p => p[(Shared.Server.Root("shards").Length + 1)..]).ToArray());
        }

        ShardStreamingTests.AssertSameBatches(single, actual);
        Assert.IsEmpty(pipeline.Report.Skipped);
        Assert.AreEqual(2, remote.StreamedEpochs);
        Assert.AreEqual(2L * shards, remote.ShardRequests, "one ranged GET per shard per epoch");
        Assert.AreEqual(2, perSample.PerSampleEpochs);
        Assert.AreEqual(0, perSample.ShardRequests);
    }

    [TestMethod]
    public async Task Run_StreamedShardDeletedAfterDiscovery_ItsSamplesSkippedNaming404()
    {
        await Shared.Server.UploadFolderAsync(Shared.Shards.Root, "gone/");
        ShardIndexEntry shard = Shared.Index.Shards[1];
        string victim = "gone/" + shard.Name;
        using var shards = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.Options() });
        var source = new FaultingSource(shards, afterDiscovery: () => Shared.Server.DeleteAsync(victim));
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(), Shared.Server.Root("gone"));
        Assert.AreEqual(12 - shard.Samples, batches.Sum(b => b.Labels.Length));
        Assert.HasCount(shard.Samples, pipeline.Report.Skipped);
        foreach (SkippedSample skipped in pipeline.Report.Skipped)
        {
            Assert.StartsWith(Shared.Server.Root(victim) + "/", skipped.Path);
            Assert.Contains($"The object '{Shared.Server.Root(victim)}' does not exist (404)", skipped.Reason);
        }

        Assert.AreEqual(1, shards.StreamedEpochs);
    }

    [TestMethod]
    [DataRow(500, ErrorPolicy.SkipAndReport)]
    [DataRow(503, ErrorPolicy.FailFast)]
    public async Task Run_ObjectAnswers5xx_RetriedThenRunFaultsNamingTheStoreWhateverThePolicy(int status, ErrorPolicy policy)
    {
        string prefix = $"broken-{status}/";
        string victim = await UploadBrokenAsync(Shared.Folders.Root, prefix, "eel/img0.png", status);
        using var folders = new ObjectFolderSampleSource(Shared.Server.ProxiedOptions(retries: 2));
        await AssertStoreFaultAsync(folders, policy, prefix, $"Reading '{Shared.Server.Root(victim)}' failed with {status} ");
        Assert.AreEqual(3, Shared.Server.Proxy.Refused(victim), "the first request and 2 retries");
    }

    [TestMethod]
    [DataRow(503, ErrorPolicy.SkipAndReport)]
    [DataRow(500, ErrorPolicy.FailFast)]
    public async Task Run_StreamedShardAnswers5xx_RetriedThenRunFaultsNamingTheStoreWhateverThePolicy(int status, ErrorPolicy policy)
    {
        string prefix = $"broken-shards-{status}/";
        ShardIndexEntry shard = Shared.Index.Shards[1];
        string victim = await UploadBrokenAsync(Shared.Shards.Root, prefix, shard.Name, status);
        using var shards = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.ProxiedOptions(retries: 2) });
        await AssertStoreFaultAsync(shards, policy, prefix, $"Reading '{Shared.Server.Root(victim)}' failed with {status} ");
        Assert.AreEqual(3, Shared.Server.Proxy.Refused(victim), "one request for the shard: the first try and 2 retries");
        Assert.AreEqual(1, shards.StreamedEpochs);
    }

    [TestMethod]
    [DataRow("folders")]
    [DataRow("shards")]
    [DataRow("scanned-shards")]
    public async Task Run_StoreDownForGood_RunFaultsNamingTheStoreNothingSkipped(string kind)
    {
        bool shards = kind != "folders";
        string prefix = $"down-{kind}/";
        await Shared.Server.UploadFolderAsync(shards ? Shared.Shards.Root : Shared.Folders.Root, prefix);
        Shared.Server.Proxy.Misbehave(prefix, FaultProxy.Mischief.Drop);
        StorageOptions storage = Shared.Server.ProxiedOptions(retries: 1);
        // Scanned: no index, every shard's headers read at discovery (a store fault there is not a corrupt shard).
        ISampleSource source = shards
            ? new ShardSampleSource(new ShardSourceOptions { Storage = storage, UseIndex = kind == "shards", ClassNames = kind == "shards" ? null : ["cat", "dog", "eel"] })
            : new ObjectFolderSampleSource(storage);
        using var owned = (IDisposable)source;
        await AssertStoreFaultAsync(source, ErrorPolicy.SkipAndReport, prefix, $"; given up after 1 retry.");
    }

    [TestMethod]
    public async Task Run_StoreNeverAnswers_EachRequestTimesOutThenRunFaultsNamingTheStore()
    {
        const string prefix = "hang/";
        await Shared.Server.UploadFolderAsync(Shared.Folders.Root, prefix);
        Shared.Server.Proxy.Misbehave(prefix, FaultProxy.Mischief.Hang);
        using var folders = new ObjectFolderSampleSource(Shared.Server.ProxiedOptions(retries: 1, requestTimeout: TimeSpan.FromSeconds(1)));
        await AssertStoreFaultAsync(folders, ErrorPolicy.SkipAndReport, prefix,
            $" got no answer within 1 s (StorageOptions.RequestTimeout); given up after 1 retry.");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Run_StoreDownForSomeRequests_RetriedUntilItIsBackEverySampleBatched(bool shards)
    {
        const int dropped = 5; // few: a lone reader (the shard index) retries them one after another, each back-off twice the last
        string prefix = shards ? "outage-shards/" : "outage-folders/";
        await Shared.Server.UploadFolderAsync(shards ? Shared.Shards.Root : Shared.Folders.Root, prefix);
        Shared.Server.Proxy.Misbehave(prefix, FaultProxy.Mischief.Drop, times: dropped);
        // No retry as such: every dropped request is carried over by the store's MaxOutage alone (far longer than the test).
        StorageOptions storage = Shared.Server.ProxiedOptions(retries: 0, maxOutage: TimeSpan.FromMinutes(10));
        ISampleSource source = shards ? new ShardSampleSource(new ShardSourceOptions { Storage = storage }) : new ObjectFolderSampleSource(storage);
        using var owned = (IDisposable)source;
        var (batches, pipeline) = await RunGuardedAsync(source, ShardTestData.Options(), prefix.TrimEnd('/'));
        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length));
        Assert.IsEmpty(pipeline.Report.Skipped);
        int reads = shards ? 1 + Directory.GetFiles(Shared.Shards.Root, "*.tar").Length : 12; // shards: the index, then one stream per shard
        Assert.AreEqual(reads + dropped, Shared.Server.Proxy.Gets(prefix), "every dropped request asked again, every read once answered");
    }

    [TestMethod]
    public async Task Run_PrefixWithHashAndPercent_ReadAsKeysEverySampleBatched()
    {
        const string prefix = "odd#name%41";
        await Shared.Server.UploadFolderAsync(Shared.Folders.Root, prefix + "/");
        using var folders = new ObjectFolderSampleSource(Shared.Server.Options());
        var (batches, pipeline) = await RunGuardedAsync(folders, ShardTestData.Options(), prefix);
        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length));
        Assert.IsEmpty(pipeline.Report.Skipped);
        foreach (string path in batches.SelectMany(b => b.Paths))
        {
            Assert.StartsWith(Shared.Server.Root(prefix + "/"), path);
        }
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
    [DataRow(false)]
    [DataRow(true)]
    public async Task Run_ServerKilledMidRun_FaultsAfterRetriesNamingTheObjectNothingHeld(bool streaming)
    {
        using StorageServer server = StartServer();
        var data = new Dataset(server);
        try
        {
            await data.UploadAsync();
            // Streaming: a buffer of one, so that the stream is not read to its end before the kill.
            using var shards = new ShardSampleSource(new ShardSourceOptions { Storage = server.Options(retries: 2), Streaming = streaming, MaxSamplesHeld = 1 });
            var source = new FaultingSource(shards, beforeRead: 3, atRead: () =>
            {
                server.Process.Kill();
                return Task.CompletedTask;
            });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            PipelineOptions options = ShardTestData.Options() with { ErrorPolicy = ErrorPolicy.FailFast, Read = new StageOptions(1, 2) };
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).UsePlanner(ShardShufflePlanner.For(options, bufferSize: 1))
                .Build(_ => { }, timeout.Token);
            pipeline.Post(server.Root("shards"));
            pipeline.Complete();
            Exception e = await Assert.ThrowsAsync<Exception>(() => pipeline.Completion);
            Assert.IsFalse(timeout.IsCancellationRequested, "ended by the fault, not by the test's timeout");
            StorageException storage = Find<StorageException>(e) ?? throw new AssertFailedException($"no StorageException in {e}");
            Assert.AreEqual(0, storage.Status, "no answer from a killed server");
            Assert.Contains(server.Root("shards/shard-"), storage.Message);
            Assert.Contains("given up after 2 retries", storage.Message);
            Assert.IsNotNull(Find<StoreUnavailableException>(e), "the store's fault, not the sample's");
            PipelineRunner.AssertNothingHeld(pipeline);
            Assert.AreEqual(streaming ? 1 : 0, shards.StreamedEpochs);
        }
        finally
        {
            data.Dispose();
        }
    }

    [TestMethod]
    public async Task Run_ObjectBodyStallsOnce_ReadRetriedEverySampleBatched()
    {
        await Shared.Server.UploadFolderAsync(Shared.Folders.Root, "stall-once/");
        string victim = "stall-once/eel/img0.png";
        Shared.Server.Proxy.Misbehave(victim, FaultProxy.Mischief.Stall, times: 1);
        using var folders = new ObjectFolderSampleSource(Shared.Server.ProxiedOptions(readTimeout: TimeSpan.FromSeconds(1)));
        var (batches, pipeline) = await RunGuardedAsync(folders, ShardTestData.Options(), "stall-once");
        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length));
        Assert.IsEmpty(pipeline.Report.Skipped);
        Assert.AreEqual(2, Shared.Server.Proxy.Gets(victim), "the stalled request and its retry");
    }

    [TestMethod]
    public async Task Run_ObjectBodyAlwaysStalls_RetriedThenFaultNamingTheObjectAndReadTimeout()
    {
        await Shared.Server.UploadFolderAsync(Shared.Folders.Root, "stall-always/");
        string victim = "stall-always/dog/img1.jpg";
        Shared.Server.Proxy.Misbehave(victim, FaultProxy.Mischief.Stall);
        using var folders = new ObjectFolderSampleSource(Shared.Server.ProxiedOptions(retries: 1, readTimeout: TimeSpan.FromSeconds(1)));
        Exception e = await Assert.ThrowsAsync<Exception>(() => RunGuardedAsync(folders, ShardTestData.Options() with { ErrorPolicy = ErrorPolicy.FailFast }, "stall-always"));
        Assert.Contains($"Reading '{Shared.Server.Root(victim)}' stalled: no bytes arrived for 1 s (StorageOptions.ReadTimeout); given up after 1 retry.", e.ToString());
        Assert.AreEqual(2, Shared.Server.Proxy.Gets(victim), "the first request and 1 retry");
    }

    [TestMethod]
    public async Task Run_StreamedShardStallsOnce_ReopenedWhereItStoppedSameBatches()
    {
        await Shared.Server.UploadFolderAsync(Shared.Shards.Root, "shards-stall-once/");
        string victim = "shards-stall-once/" + Shared.Index.Shards[1].Name;
        Shared.Server.Proxy.Misbehave(victim, FaultProxy.Mischief.Stall, times: 1);
        int shards = Directory.GetFiles(Shared.Shards.Root, "*.tar").Length;
        using var local = new ShardSampleSource();
        using var remote = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.ProxiedOptions(readTimeout: TimeSpan.FromSeconds(1)) });
        var (expected, _) = await ShardTestData.RunAsync(local, ShardTestData.Options(), Shared.Shards.Root);
        var (actual, pipeline) = await RunGuardedAsync(remote, ShardTestData.Options(), "shards-stall-once");
        Assert.IsEmpty(pipeline.Report.Skipped);
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, "bit-identical pixels");
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels);
        }

        Assert.AreEqual(2, Shared.Server.Proxy.Gets(victim), "the stalled request and the reopened one");
        Assert.AreEqual(shards + 1L, remote.ShardRequests, "one request per shard, and one reopen");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Run_StreamedShardAlwaysStallsOrBreaks_ReopenedTwiceThenItsSamplesSkippedNamingTheShard(bool stall)
    {
        string prefix = stall ? "shards-stall-always" : "shards-cut-always";
        await Shared.Server.UploadFolderAsync(Shared.Shards.Root, prefix + "/");
        ShardIndexEntry shard = Shared.Index.Shards[1];
        string victim = $"{prefix}/{shard.Name}";
        Shared.Server.Proxy.Misbehave(victim, stall ? FaultProxy.Mischief.Stall : FaultProxy.Mischief.Cut);
        using var remote = new ShardSampleSource(new ShardSourceOptions { Storage = Shared.Server.ProxiedOptions(readTimeout: TimeSpan.FromSeconds(1)) });
        var (batches, pipeline) = await RunGuardedAsync(remote, ShardTestData.Options(), prefix);
        // The members before the first stall (in the half sent) arrive; every later one of that shard is skipped.
        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length) + pipeline.Report.Skipped.Count);
        Assert.IsNotEmpty(pipeline.Report.Skipped);
        Assert.IsLessThan(shard.Samples, pipeline.Report.Skipped.Count);
        foreach (SkippedSample skipped in pipeline.Report.Skipped)
        {
            Assert.StartsWith(Shared.Server.Root(victim) + "/", skipped.Path);
            Assert.Contains($"Reading '{Shared.Server.Root(victim)}' broke at byte ", skipped.Reason);
            Assert.Contains(stall
                ? $" (2 times reopened): Reading '{Shared.Server.Root(victim)}' stalled: no bytes arrived for 1 s (StorageOptions.ReadTimeout)"
                : $" (2 times reopened): Reading '{Shared.Server.Root(victim)}' broke part-way: ", skipped.Reason);
        }

        if (stall || !Shared.Server.ClientReasksBrokenBodies)
        {
            Assert.AreEqual(1 + ShardReadStream.MaxReopens, Shared.Server.Proxy.Gets(victim), "the first request and 2 reopens");
        }
    }

    /// <summary>Runs <paramref name="source"/> over <paramref name="path"/> in the container, failing the test (not hanging) if the run does not end within two minutes.</summary>
    private async Task<(List<SeenBatch> Batches, ImagePipeline Pipeline)> RunGuardedAsync(ISampleSource source, PipelineOptions options, string path)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).Build(b => seen.Add(SeenBatch.Copy(b)), guard.Token);
        pipeline.Post(Shared.Server.Root(path));
        pipeline.Complete();
        try
        {
            await pipeline.Completion;
        }
        finally
        {
            Assert.IsFalse(guard.IsCancellationRequested, "the run hung: ended by the test's two-minute guard");
            PipelineRunner.AssertNothingHeld(pipeline);
        }

        return (seen, pipeline);
    }

    /// <summary>Uploads <paramref name="folder"/> to <paramref name="prefix"/>; its object <paramref name="key"/> answers <paramref name="status"/> through the proxy. Returns that object's key.</summary>
    private async Task<string> UploadBrokenAsync(string folder, string prefix, string key, int status)
    {
        await Shared.Server.UploadFolderAsync(folder, prefix);
        Shared.Server.Proxy.Break(prefix + key, status);
        return prefix + key;
    }

    /// <summary>Runs <paramref name="source"/> over <paramref name="prefix"/>: the run faults with a <see cref="StoreUnavailableException"/> naming the store (behind the proxy) and <paramref name="reason"/>, and no sample is skipped.</summary>
    private async Task AssertStoreFaultAsync(ISampleSource source, ErrorPolicy policy, string prefix, string reason)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(ShardTestData.Options() with { ErrorPolicy = policy }).UseSource(source).Build(_ => { }, guard.Token);
        pipeline.Post(Shared.Server.Root(prefix.TrimEnd('/')));
        pipeline.Complete();
        Exception e = await Assert.ThrowsAsync<Exception>(() => pipeline.Completion);
        Assert.IsFalse(guard.IsCancellationRequested, "ended by the fault, not by the test's guard");
        var down = e as StoreUnavailableException ?? throw new AssertFailedException($"the run did not fault with a StoreUnavailableException: {e}");
        string store = $"'{Shared.Server.Root("")[..^1]}' at {Shared.Server.Proxy.Endpoint}";
        Assert.AreEqual(store, down.Store);
        Assert.StartsWith($"The store {store} is unavailable: it kept failing for ", down.Message);
        Assert.Contains(" s (StorageOptions.MaxOutage is 0 s). ", down.Message);
        Assert.Contains(reason, down.Message);
        Assert.IsEmpty(pipeline.Report.Skipped, "a store fault is not a bad sample");
        PipelineRunner.AssertNothingHeld(pipeline);
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
