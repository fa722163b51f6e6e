using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Reliability;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class StorageLocationTests
{
    private static readonly StorageOptions Offline = new()
    {
        S3ServiceUrl = "http://127.0.0.1:1",
        AzureConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
    };

    [TestMethod]
    [DataRow("s3://data/a#b/c%41d", "data", "a#b/c%41d/")]
    [DataRow("az://data/a#b/c%41d/", "data", "a#b/c%41d/")]
    [DataRow("s3://data/?x=1", "data", "?x=1/")]
    [DataRow("s3://data", "data", "")]
    [DataRow("az://data/", "data", "")]
    public void Open_S3OrAzPrefixWithHashQuestionOrPercent_KeptAsKeyCharacters(string root, string container, string prefix)
    {
        StorageLocation location = StorageLocation.Open(root, Offline);
        using IObjectStore store = location.Store;
        Assert.AreEqual(prefix, location.Prefix);
        Assert.AreEqual($"{root[..5]}{container}/{prefix}k", store.Describe(prefix + "k"));
    }

    [TestMethod]
    public void Open_HttpsUrlWithFragment_RefusedNamingIt()
    {
        const string root = "https://acct.blob.core.windows.net/data/a#b";
        var e = Assert.ThrowsExactly<ArgumentException>(() => StorageLocation.Open(root, Offline));
        Assert.AreEqual("root", e.ParamName);
        Assert.StartsWith($"The dataset location \"{root}\" has a fragment (\"#b\"), which a URL does not send: write a '#' in a key as %23.", e.Message);
    }

    [TestMethod]
    public void Open_HttpsUrl_PathPercentDecoded()
    {
        StorageLocation location = StorageLocation.Open("https://acct.blob.core.windows.net/data/a%23b/c%20d", Offline);
        using IObjectStore store = location.Store;
        Assert.AreEqual("a#b/c d/", location.Prefix);
    }

    [TestMethod]
    [DataRow("s3:///prefix", "bucket")]
    [DataRow("az:///prefix", "container")]
    public void Open_NoBucketOrContainer_RefusedNamingTheLocation(string root, string what)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => StorageLocation.Open(root, Offline));
        Assert.StartsWith($"The dataset location \"{root}\" names no {what}.", e.Message);
    }

    [TestMethod]
    public void Open_SchemeNoPackageRegistered_RefusedNamingTheSchemeAndHowToAddOne()
    {
        const string root = "gs://bucket/images";
        var e = Assert.ThrowsExactly<ArgumentException>(() => StorageLocation.Open(root, Offline));
        Assert.StartsWith($"The dataset location \"{root}\" has the scheme gs://, which no storage package registered (registered: ", e.Message);
        StringAssert.Contains(e.Message, "az://, http://, https://, s3://); implement IObjectStoreScheme and call ObjectStoreSchemes.Register.");
        Assert.IsTrue(StorageLocation.IsRemote(root));
        Assert.IsFalse(StorageLocation.IsRemote("/data/images"));
        Assert.IsFalse(StorageLocation.IsRemote(@"C:\data\images"));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("s3://")]
    [DataRow("a/b")]
    public void Register_SchemeNotAName_RefusedNamingIt(string name)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ObjectStoreSchemes.Register(new FolderScheme(name, "")));
        StringAssert.Contains(e.Message, $"declares the scheme \"{name}\"");
        Assert.IsFalse(ObjectStoreSchemes.IsRegistered(name));
    }

    [TestMethod]
    public async Task Run_LocationOfARegisteredScheme_ReadThroughItsStore()
    {
        // A scheme of the user's: its locations open a store over a local folder, through which the object-folder
        // source discovers and reads the images of the real graph.
        using TempDataset data = new TempDataset().WithClasses(2, 3, 12, 10);
        ObjectStoreSchemes.Register(new FolderScheme("testfolder", data.Root));
        Assert.IsTrue(ObjectStoreSchemes.IsRegistered("TestFolder"));
        FaultRun run = await FaultHarness.RunAsync(
            new PipelineOptions { Width = 12, Height = 10, BatchSize = 2, Seed = 1, ReducedDecode = false }, "testfolder://any/", b => b.UseSource(new ObjectFolderSampleSource()));

        Assert.IsNull(run.Error);
        string[] paths = [.. run.Batches.SelectMany(b => b.Paths).Order(StringComparer.Ordinal)];
        Assert.HasCount(6, paths);
        CollectionAssert.AreEqual(new[] { "class0", "class0", "class0", "class1", "class1", "class1" }, paths.Select(p => Path.GetFileName(Path.GetDirectoryName(p))).ToArray());
        Assert.AreEqual(6, run.Pipeline.Report.Batched);
    }

    [TestMethod]
    public async Task Run_ShardsAtALocationOfARegisteredScheme_ReadThroughItsStore()
    {
        // The shard source over a store of the user's: discovery lists and reads the index through it, the read stage
        // its members.
        using TempDataset data = new TempDataset().WithClasses(2, 3, 64, 48);
        using var shards = new TempDataset();
        ShardWriter.Pack([data.Root], shards.Root, new PackOptions { TargetShardBytes = 4096 });
        ObjectStoreSchemes.Register(new FolderScheme("testshards", shards.Root));
        using var source = new ShardSampleSource();
        FaultRun run = await FaultHarness.RunAsync(
            new PipelineOptions { Width = 12, Height = 10, BatchSize = 2, Seed = 1, ReducedDecode = false }, "testshards://any/", b => b.UseSource(source));

        Assert.IsNull(run.Error);
        Assert.IsGreaterThan(1, Directory.GetFiles(shards.Root, "*.tar").Length, "several shards");
        Assert.AreEqual(6, run.Batches.Sum(b => b.Paths.Length));
        CollectionAssert.AreEquivalent(new[] { 0, 0, 0, 1, 1, 1 }, run.Batches.SelectMany(b => b.Labels).ToArray());
        Assert.AreEqual(6, run.Pipeline.Report.Batched);
    }

    /// <summary>Opens every location of its scheme as the local folder <paramref name="folder"/>.</summary>
    private sealed class FolderScheme(string name, string folder) : IObjectStoreScheme
    {
        public IReadOnlyList<string> Schemes { get; } = [name];

        public StorageLocation Open(string location, StorageOptions options) => new(new LocalObjectStore(folder), "");
    }
}
