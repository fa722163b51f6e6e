using System.Text.Json;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class IndexedFolderSampleSourceTests
{
    private static void WriteIndex(string root)
    {
        using var stream = File.Create(Path.Combine(root, FolderIndex.FileName));
        FolderIndex.Create(root).Save(stream);
    }

    private static void AssertSameBatches(List<SeenBatch> listed, List<SeenBatch> indexed)
    {
        Assert.HasCount(listed.Count, indexed);
        for (int i = 0; i < listed.Count; i++)
        {
            CollectionAssert.AreEqual(listed[i].Paths, indexed[i].Paths);
            CollectionAssert.AreEqual(listed[i].Labels, indexed[i].Labels);
            CollectionAssert.AreEqual(listed[i].Data, indexed[i].Data, "bit-identical batches");
        }
    }

    [TestMethod]
    public async Task Run_WithIndex_SameBatchesAsListing()
    {
        using TempDataset data = ShardTestData.Folders();
        WriteIndex(data.Root);

        var (listed, _) = await ShardTestData.RunAsync(new FolderSampleSource(), ShardTestData.Options(epochs: 2), data.Root);
        var (indexed, pipeline) = await ShardTestData.RunAsync(new IndexedFolderSampleSource(), ShardTestData.Options(epochs: 2), data.Root);

        AssertSameBatches(listed, indexed);

        Assert.IsEmpty(pipeline.Report.Skipped);
    }

    [TestMethod]
    public void Create_SortedRelativePathsClassesAndSizes()
    {
        using TempDataset data = ShardTestData.Folders();
        FolderIndex index = FolderIndex.Create(data.Root);
        CollectionAssert.AreEqual(new[] { "cat", "dog", "eel" }, index.Classes.ToArray());
        Assert.AreEqual("cat/img.3.jpg", index.Files[0].Path);
        Assert.AreEqual("cat/img0.png", index.Files[1].Path);
        Assert.AreEqual(new FileInfo(Path.Combine(data.Root, "cat", "img0.png")).Length, index.Files[1].Size);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, index.Files.Select(f => f.Label).ToArray());
    }

    [TestMethod]
    public async Task Run_StaleIndex_FileMissingOrResized_SkippedNamingItOrFaultsUnderFailFast()
    {
        using TempDataset data = ShardTestData.Folders();
        WriteIndex(data.Root);
        string removed = Path.Combine(data.Root, "dog", "img1.jpg");
        string resized = Path.Combine(data.Root, "eel", "img2.png");
        File.Delete(removed);
        File.AppendAllText(resized, "x");

        var (batches, pipeline) = await ShardTestData.RunAsync(new IndexedFolderSampleSource(), ShardTestData.Options(), data.Root);
        Assert.AreEqual(10, batches.Sum(b => b.Labels.Length));
        var reasons = pipeline.Report.Skipped.ToDictionary(s => s.Path, s => s.Reason);
        Assert.HasCount(2, reasons);
        Assert.Contains($"file '{removed}' is missing", reasons[removed]);
        Assert.Contains("is stale", reasons[removed]);
        Assert.Contains($"file '{resized}' is {new FileInfo(resized).Length} bytes, the index says {new FileInfo(resized).Length - 1}", reasons[resized]);

        ImagePipeline failFast = ImagePipeline.CreateBuilder(ShardTestData.Options() with { ErrorPolicy = ErrorPolicy.FailFast }).UseSource(new IndexedFolderSampleSource()).Build(_ => { });
        failFast.Post(data.Root);
        failFast.Complete();
        var e = await Assert.ThrowsAsync<Exception>(() => failFast.Completion);
        Assert.Contains("is stale", e.ToString());
    }

    [TestMethod]
    public async Task Discover_VerifyAtStart_StaleIndexRefusedBeforeAnyRead()
    {
        using TempDataset data = ShardTestData.Folders();
        WriteIndex(data.Root);
        string removed = Path.Combine(data.Root, "cat", "img0.png");
        File.Delete(removed);
        var source = new IndexedFolderSampleSource { VerifyAtStart = true };
        var e = await Assert.ThrowsExactlyAsync<StaleIndexException>(() => source.DiscoverAsync([data.Root], CancellationToken.None));
        CollectionAssert.AreEqual(new[] { $"file '{removed}' is missing" }, e.Differences.ToArray());
        Assert.AreEqual(Path.Combine(data.Root, FolderIndex.FileName), e.Index);
    }

    [TestMethod]
    public async Task Discover_NoIndex_NamesTheFileAndHowToWriteIt()
    {
        using TempDataset data = ShardTestData.Folders();
        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => new IndexedFolderSampleSource().DiscoverAsync([data.Root], CancellationToken.None));
        Assert.Contains(Path.Combine(data.Root, FolderIndex.FileName), e.Message);
        Assert.Contains("index command", e.Message);
    }

    [TestMethod]
    public async Task Discover_SameSamplesLabelsOrderCountsAndFingerprintAsTheListing()
    {
        using TempDataset data = ShardTestData.Folders();
        data.AddImage("dog/sub", "0.png", seed: 40);
        data.AddImage("dog", "z.png", seed: 41);
        WriteIndex(data.Root);

        SampleSet listed = await new FolderSampleSource().DiscoverAsync([data.Root], CancellationToken.None);
        SampleSet indexed = await new IndexedFolderSampleSource().DiscoverAsync([data.Root], CancellationToken.None);

        CollectionAssert.AreEqual(listed.ClassNames.ToArray(), indexed.ClassNames.ToArray());
        CollectionAssert.AreEqual(listed.Samples.Select(s => (s.Index, s.Id, s.Label)).ToArray(), indexed.Samples.Select(s => (s.Index, s.Id, s.Label)).ToArray());
        Assert.AreEqual(Dataflow.Pipeline.Distributed.PipelineStateIdentity.Fingerprint(listed), Dataflow.Pipeline.Distributed.PipelineStateIdentity.Fingerprint(indexed), "a state saved over the listing resumes over the index");

        var (_, byListing) = await ShardTestData.RunAsync(new FolderSampleSource(), ShardTestData.Options(), data.Root);
        var (_, byIndex) = await ShardTestData.RunAsync(new IndexedFolderSampleSource(), ShardTestData.Options(), data.Root);
        CollectionAssert.AreEqual(byListing.Report.DiscoveredPerClass.ToArray(), byIndex.Report.DiscoveredPerClass.ToArray());
    }

    [TestMethod]
    public async Task Run_IndexWrittenAsVersion1_SameBatchesAsListing()
    {
        using TempDataset data = ShardTestData.Folders();
        FolderIndex index = FolderIndex.Create(data.Root);
        string v1 = JsonSerializer.Serialize(new
        {
            format = FolderIndex.FormatName,
            version = 1,
            classes = index.Classes,
            files = index.Files.Select(f => new { path = f.Path, label = f.Label, size = f.Size }),
        });
        File.WriteAllText(Path.Combine(data.Root, FolderIndex.FileName), v1);

        var (listed, _) = await ShardTestData.RunAsync(new FolderSampleSource(), ShardTestData.Options(), data.Root);
        var (indexed, _) = await ShardTestData.RunAsync(new IndexedFolderSampleSource(), ShardTestData.Options(), data.Root);

        AssertSameBatches(listed, indexed);
    }

    [TestMethod]
    public async Task Discover_ClassFolderGone_RefusedAtStartNamingIt()
    {
        using TempDataset data = ShardTestData.Folders();
        WriteIndex(data.Root);
        string gone = Path.Combine(data.Root, "dog");
        Directory.Delete(gone, recursive: true);

        var e = await Assert.ThrowsExactlyAsync<StaleIndexException>(() => new IndexedFolderSampleSource().DiscoverAsync([data.Root], CancellationToken.None));

        CollectionAssert.AreEqual(new[] { $"folder '{gone}' is missing" }, e.Differences.ToArray());
        Assert.AreEqual($"The index '{Path.Combine(data.Root, FolderIndex.FileName)}' is stale (1 difference); rebuild it: folder '{gone}' is missing", e.Message);
    }

    [TestMethod]
    public async Task Run_FileRewrittenWithSameSize_Read_FileReplacedByOneOfAnotherSize_Stale()
    {
        // The index checks presence and size, not content: a rewrite of the same size is read (as a listing would read it).
        using TempDataset data = ShardTestData.Folders();
        WriteIndex(data.Root);
        string same = Path.Combine(data.Root, "cat", "img0.png");
        string other = Path.Combine(data.Root, "eel", "img0.png");
        long indexed = new FileInfo(other).Length;
        byte[] replacement = File.ReadAllBytes(same);
        Assert.AreNotEqual(indexed, replacement.Length, "the two test images differ in size");
        File.WriteAllBytes(same, File.ReadAllBytes(same));
        File.WriteAllBytes(other, replacement);

        var (batches, pipeline) = await ShardTestData.RunAsync(new IndexedFolderSampleSource(), ShardTestData.Options(), data.Root);

        Assert.AreEqual(11, batches.Sum(b => b.Labels.Length));
        SkippedSample skipped = pipeline.Report.Skipped.Single();
        Assert.AreEqual(other, skipped.Path);
        Assert.Contains($"file '{other}' is {replacement.Length} bytes, the index says {indexed}", skipped.Reason);
    }
}
