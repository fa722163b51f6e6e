using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Reliability;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

/// <summary>
/// What every source that reads local files must do, run on each of them over the same class folders: the same
/// (class, bytes) per sample as the folder source, stable ids, a clear error for a missing sample, cancellable
/// discovery, and the read guards (a FIFO is never opened, a file above the size limit is never read whole).
/// </summary>
public abstract class SourceContractTests
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>A new source of this kind.</summary>
    private protected abstract ISampleSource Create();

    /// <summary>What the dataset at <paramref name="folders"/> needs before discovery (an index), and the root to post.</summary>
    private protected virtual string Prepare(string folders) => folders;

    private ISampleSource Owned(ISampleSource source)
    {
        if (source is IDisposable disposable)
        {
            _owned.Add(disposable);
        }

        return source;
    }

    [TestCleanup]
    public void Cleanup()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }

    private static TempDataset Dataset() => new TempDataset().WithClasses(3, 4, 24, 20);

    [TestMethod]
    public async Task Discover_SameClassAndBytesAsTheFolderSource()
    {
        using TempDataset data = Dataset();
        List<string> expected = await ShardTestData.ClassAndBytesAsync(new FolderSampleSource(), data.Root);
        string root = Prepare(data.Root);

        CollectionAssert.AreEqual(expected, await ShardTestData.ClassAndBytesAsync(Owned(Create()), root));
    }

    [TestMethod]
    public async Task Discover_Twice_SameIdsLabelsAndOrder()
    {
        using TempDataset data = Dataset();
        string root = Prepare(data.Root);

        SampleSet first = await Owned(Create()).DiscoverAsync([root], CancellationToken.None);
        SampleSet second = await Owned(Create()).DiscoverAsync([root], CancellationToken.None);

        CollectionAssert.AreEqual(first.Samples.Select(s => (s.Id, s.Label)).ToArray(), second.Samples.Select(s => (s.Id, s.Label)).ToArray());
        CollectionAssert.AreEqual(first.ClassNames.ToArray(), second.ClassNames.ToArray());
    }

    [TestMethod]
    public async Task Discover_Cancelled_ThrowsOperationCanceled()
    {
        using TempDataset data = Dataset();
        string root = Prepare(data.Root);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAsync<OperationCanceledException>(() => Owned(Create()).DiscoverAsync([root], cts.Token));
    }

    [TestMethod]
    public async Task Read_SampleDeletedAfterDiscovery_FailsNamingIt()
    {
        using TempDataset data = Dataset();
        string root = Prepare(data.Root);
        ISampleSource source = Owned(Create());
        SampleSet set = await source.DiscoverAsync([root], CancellationToken.None);
        SampleInfo victim = set.Samples[5];
        File.Delete(Path.Combine(data.Root, FileOf(victim)));

        IOException e = await Assert.ThrowsAsync<IOException>(async () => (await source.ReadAsync(victim, new BufferPool(), CancellationToken.None)).Dispose());
        StringAssert.Contains(e.Message, Path.GetFileName(FileOf(victim)));
    }

    [TestMethod]
    public async Task Run_FileReplacedByAFifoAfterDiscovery_SkippedNamingItNeverOpened()
    {
        using TempDataset data = new TempDataset().WithClasses(3, 20, 24, 20);
        string root = Prepare(data.Root);
        string victim = Directory.GetFiles(Path.Combine(data.Root, "class2")).Order(StringComparer.Ordinal).Last();
        bool replaced = false;
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(FaultHarness.Small(epochs: 1, width: 24, height: 20)).UseSource(Owned(Create())).Build(_ =>
        {
            // The first batch: discovery is done, and the last sample (no shuffle) is far from being read. Opening a
            // FIFO for reading waits for a writer, for ever.
            if (!replaced)
            {
                File.Delete(victim);
                Mkfifo(victim);
                replaced = true;
            }
        });
        pipeline.Post(root);
        pipeline.Complete();

        Assert.IsNull(await FaultHarness.CompletionOf(pipeline));
        SkippedSample skipped = pipeline.Report.Skipped.Single();
        StringAssert.Contains(skipped.Path, Path.GetFileName(victim));
        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Run_FileAboveMaxFileBytes_RefusedUnreadNamingTheLimit()
    {
        using TempDataset data = Dataset();
        // A sparse file (no disk) larger than the limit, in place of an image, before the source sees the dataset.
        string big = Directory.GetFiles(Path.Combine(data.Root, "class2")).Order(StringComparer.Ordinal).First();
        using (FileStream file = File.Create(big))
        {
            file.SetLength(PipelineOptions.DefaultMaxFileBytes + 1);
        }

        string root = Prepare(data.Root);
        FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(epochs: 1, width: 24, height: 20), root, b => b.UseSource(Owned(Create())));

        FaultHarness.AssertFinishedAndAccounted(run);
        SkippedSample skipped = run.Report.Skipped.Single();
        StringAssert.Contains(skipped.Path, Path.GetFileName(big));
        StringAssert.Contains(skipped.Reason, "above the limit of");
    }

    /// <summary>The sample's file, relative to the dataset root (its class folder and name).</summary>
    private protected virtual string FileOf(SampleInfo sample) => Path.Join(Path.GetFileName(Path.GetDirectoryName(sample.Id)), Path.GetFileName(sample.Id));

    private static void Mkfifo(string path)
    {
        using var process = System.Diagnostics.Process.Start("mkfifo", [path]);
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, "mkfifo");
    }
}

/// <summary>The contract on class folders walked at discovery.</summary>
[TestClass]
public sealed class FolderSourceContractTests : SourceContractTests
{
    private protected override ISampleSource Create() => new FolderSampleSource();
}

/// <summary>The contract on class folders read through their folder index.</summary>
[TestClass]
public sealed class IndexedFolderSourceContractTests : SourceContractTests
{
    private protected override ISampleSource Create() => new IndexedFolderSampleSource();

    private protected override string Prepare(string folders)
    {
        using (FileStream stream = File.Create(Path.Combine(folders, FolderIndex.FileName)))
        {
            FolderIndex.Create(folders).Save(stream);
        }

        return folders;
    }
}

/// <summary>The contract on class folders read as objects of the local object store.</summary>
[TestClass]
public sealed class LocalObjectFolderSourceContractTests : SourceContractTests
{
    private protected override ISampleSource Create() => new ObjectFolderSampleSource();
}
