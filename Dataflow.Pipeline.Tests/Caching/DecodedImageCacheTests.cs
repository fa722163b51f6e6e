using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Caching;

[TestClass]
public sealed class DecodedImageCacheTests
{
    private const int Samples = 12;
    private const int Epochs = 3;
    private const int EntryBytes = 24 * 20 * 3;

    // One decode worker: an epoch's visit of a sample then always finds what the epoch before stored, so the hit counts
    // are exact (with more workers a sample's next visit can overtake its first; the pixels are the same either way).
    private static PipelineOptions Options(DecodedImageCacheOptions? cache) => new()
    {
        Decode = new StageOptions(1, 2),
        Width = 24, Height = 20, BatchSize = 5, Epochs = Epochs, Seed = 11, Normalization = NormalizationOptions.ImageNet,
        Augmentations = [new RandomHorizontalFlip(), new ColorJitter(brightness: 0.4, contrast: 0.3), new RandomRotation(15)],
        Cache = cache,
    };

    [TestMethod]
    public async Task Run_CacheAtTargetSizeInMemory_BatchesBitIdenticalToUncachedRun()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);

        (List<SeenBatch> cached, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(new DecodedImageCacheOptions()), d.Root);

        AssertSameBatches(expected, cached);
        CacheReport report = pipeline.Report.Cache!;
        Assert.AreEqual(Samples, report.Stored);
        Assert.AreEqual(Samples, report.MemoryEntries);
        Assert.AreEqual((long)Samples * EntryBytes, report.MemoryBytes);
        Assert.AreEqual(Samples * (Epochs - 1), report.Hits, "every epoch after the first comes from the cache");
    }

    [TestMethod]
    public async Task Run_ByteOutputWithCache_EqualsUncachedByteRun()
    {
        using var d = new TempDataset().WithClasses(2, 5, 30, 40);
        PipelineOptions options = Options(null) with { Normalization = NormalizationOptions.None, Output = TensorElementType.UInt8, Layout = TensorLayout.Nhwc };
        List<ByteOutputTests.SeenBytes> expected = await ByteOutputTests.RunBytesAsync(options, d.Root);

        List<ByteOutputTests.SeenBytes> cached = await ByteOutputTests.RunBytesAsync(options with { Cache = new DecodedImageCacheOptions() }, d.Root);

        Assert.HasCount(expected.Count, cached);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Data, cached[i].Data, $"batch {i}");
            CollectionAssert.AreEqual(expected[i].Paths, cached[i].Paths);
        }
    }

    [TestMethod]
    public async Task Run_PastTheMemoryBudget_SpillsToTheFileAndMemoryStaysBounded()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);
        long budget = 3 * EntryBytes + EntryBytes / 2;

        (List<SeenBatch> cached, ImagePipeline pipeline) = await PipelineRunner.RunAsync(
            Options(new DecodedImageCacheOptions { MemoryBudgetBytes = budget, Folder = folder.Root }), d.Root);

        AssertSameBatches(expected, cached);
        CacheReport report = pipeline.Report.Cache!;
        Assert.AreEqual(3, report.MemoryEntries);
        Assert.AreEqual(3L * EntryBytes, report.MemoryBytes);
        Assert.IsLessThanOrEqualTo(budget, report.MemoryBytes);
        Assert.AreEqual(Samples - 3, report.FileEntries);
        Assert.AreEqual(Samples * (Epochs - 1), report.Hits);
        Assert.IsFalse(File.Exists(report.FilePath), "the file is deleted after the run unless kept");
        Assert.IsEmpty(Directory.GetFiles(folder.Root));
    }

    [TestMethod]
    public async Task Run_TwoPipelinesSharingAFolder_EachHasItsOwnFile()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        PipelineOptions options = Options(new DecodedImageCacheOptions { MemoryBudgetBytes = 0, Folder = folder.Root });

        var runs = await Task.WhenAll(PipelineRunner.RunAsync(options, d.Root), PipelineRunner.RunAsync(options with { Seed = 3 }, d.Root));

        Assert.AreNotEqual(runs[0].Pipeline.Report.Cache!.FilePath, runs[1].Pipeline.Report.Cache!.FilePath);
        Assert.IsTrue(runs.All(r => r.Pipeline.Report.Cache!.FileEntries == Samples));
        Assert.IsEmpty(Directory.GetFiles(folder.Root));
    }

    [TestMethod]
    public void Defaults_NoCacheFloat32Output_AndDocumentedCacheValues()
    {
        var options = new PipelineOptions();
        var cache = new DecodedImageCacheOptions();

        Assert.IsNull(options.Cache);
        Assert.AreEqual(TensorElementType.Float32, options.Output);
        Assert.AreEqual(1L << 30, cache.MemoryBudgetBytes);
        Assert.IsNull(cache.Folder);
        Assert.IsFalse(cache.KeepFile);
        Assert.IsNull(cache.Width);
        Assert.IsNull(cache.Height);
    }

    [TestMethod]
    public async Task Run_PastTheBudgetWithoutFolder_DecodesTheRestEveryEpoch()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);

        (List<SeenBatch> cached, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(new DecodedImageCacheOptions { MemoryBudgetBytes = 2 * EntryBytes }), d.Root);

        AssertSameBatches(expected, cached);
        CacheReport report = pipeline.Report.Cache!;
        Assert.AreEqual(2, report.MemoryEntries);
        Assert.AreEqual(0, report.FileEntries);
        Assert.IsNull(report.FilePath);
        Assert.AreEqual(2 * (Epochs - 1), report.Hits);
    }

    [TestMethod]
    public async Task Run_KeptFile_ServesTheNextRunFromItsFirstEpoch()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        var cache = new DecodedImageCacheOptions { Folder = folder.Root, KeepFile = true };
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);
        (_, ImagePipeline first) = await PipelineRunner.RunAsync(Options(cache), d.Root);
        Assert.IsTrue(File.Exists(first.Report.Cache!.FilePath));
        Assert.AreEqual(0, first.Report.Cache.MemoryEntries, "a kept cache writes every entry to its file");

        (List<SeenBatch> second, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(cache), d.Root);

        AssertSameBatches(expected, second);
        Assert.AreEqual(Samples * Epochs, pipeline.Report.Cache!.Hits);
        Assert.AreEqual(0, pipeline.Report.Cache.Stored);
        Assert.IsNull(pipeline.Report.Cache.FileRebuilt);
    }

    [TestMethod]
    public async Task Run_KeptFileWithACorruptEntry_RejectsItAndDecodesThatSampleAgain()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        var cache = new DecodedImageCacheOptions { Folder = folder.Root, KeepFile = true };
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);
        (_, ImagePipeline first) = await PipelineRunner.RunAsync(Options(cache), d.Root);
        string path = first.Report.Cache!.FilePath!;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            // One byte of the payload of the entry of sample #5 (64-byte header, 16-byte entry header).
            file.Position = 64 + 5L * (16 + EntryBytes) + 16 + 100;
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x5A));
        }

        (List<SeenBatch> second, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(cache), d.Root);

        AssertSameBatches(expected, second);
        CacheReport report = pipeline.Report.Cache!;
        Assert.AreEqual(1, report.RejectedEntries);
        Assert.AreEqual(1, report.Stored, "the rejected entry is rewritten");
        Assert.AreEqual(Samples * Epochs - 1, report.Hits);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Run_CacheFileOnAFullDisk_GoesOnWithoutTheFileAndSaysWhy(bool keepFile)
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var disk = new SmallFileSystem(64 * 1024);
        PipelineOptions options = Options(null) with { Width = 64, Height = 64 };
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(options, d.Root);

        (List<SeenBatch> cached, ImagePipeline pipeline) = await PipelineRunner.RunAsync(
            options with { Cache = new DecodedImageCacheOptions { MemoryBudgetBytes = 0, Folder = disk.Root, KeepFile = keepFile } }, d.Root);

        AssertSameBatches(expected, cached);
        CacheReport report = pipeline.Report.Cache!;
        long slot = 16 + 64 * 64 * 3;
        Assert.AreEqual(
            $"writing the cache file '{report.FilePath}' failed (No space left on device : '{report.FilePath}'); the file needs up to {64 + Samples * slot} bytes " +
            $"({Samples} entries of {slot} bytes) in the folder '{disk.Root}': the samples not yet cached are decoded in every epoch",
            report.FileDisabled);
        Assert.IsTrue(report.FileEntries is > 0 and < Samples, $"some entries fit on the disk, not all: {report.FileEntries}");
        Assert.AreEqual(report.FileEntries, report.Stored);
        Assert.AreEqual(report.FileEntries * (Epochs - 1), report.Hits, "the entries written are served; the others are decoded in every epoch");
        Assert.AreEqual(keepFile, File.Exists(report.FilePath), "a kept file stays, another is deleted");
        StringAssert.EndsWith(report.ToString(), "; file given up: " + report.FileDisabled);
    }

    [TestMethod]
    public async Task Run_CacheFileTruncatedByAnotherProcessDuringTheRun_EachEntryRejectedOnceAndDecodedAgain()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);

        (List<SeenBatch> cached, ImagePipeline pipeline) = await RunChangingTheFileAsync(
            Options(new DecodedImageCacheOptions { MemoryBudgetBytes = 0, Folder = folder.Root }), d.Root, path => ForeignFile.Truncate(path, 64));

        AssertSameBatches(expected, cached);
        AssertEveryEntryRejectedOnce(pipeline.Report.Cache!);
    }

    [TestMethod]
    public async Task Run_CacheFileWrittenOverByAnotherProcessDuringTheRun_EachEntryRejectedOnceAndDecodedAgain()
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);

        // One byte of every entry's payload (64-byte header, 16-byte entry header).
        (List<SeenBatch> cached, ImagePipeline pipeline) = await RunChangingTheFileAsync(
            Options(new DecodedImageCacheOptions { MemoryBudgetBytes = 0, Folder = folder.Root }), d.Root,
            path => ForeignFile.FlipBytes(path, Enumerable.Range(0, Samples).Select(i => 64 + i * (16L + EntryBytes) + 16 + 100)));

        AssertSameBatches(expected, cached);
        AssertEveryEntryRejectedOnce(pipeline.Report.Cache!);
    }

    /// <summary>
    /// Runs with the cache all in a file, which <paramref name="change"/> alters (as another process would) once every
    /// sample of the first epoch is stored, from a stage after read: bounded stages keep the reads at most a few samples
    /// ahead of that point, so every entry is read again after the change, in the second epoch or the third.
    /// </summary>
    private static async Task<(List<SeenBatch> Batches, ImagePipeline Pipeline)> RunChangingTheFileAsync(PipelineOptions options, string root, Action<string> change)
    {
        var seen = new List<SeenBatch>();
        ImagePipeline? pipeline = null;
        int changed = 0;
        pipeline = ImagePipeline.CreateBuilder(options with { Read = new StageOptions(1, 1) })
            .AddStage(StagePosition.AfterRead, "another process", sample =>
            {
                CacheReport report = pipeline!.Report.Cache!;
                if (sample.Epoch >= 1 && report.Stored == Samples && Interlocked.Exchange(ref changed, 1) == 0)
                {
                    Assert.AreEqual(1, sample.Epoch, "changed in the second epoch");
                    change(report.FilePath!);
                }
            }, new StageOptions(1, 1))
            .Build(b => seen.Add(SeenBatch.Copy(b)));
        Assert.IsTrue(pipeline.Post(root));
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.AreEqual(1, changed);
        return (seen, pipeline);
    }

    private static void AssertEveryEntryRejectedOnce(CacheReport report)
    {
        Assert.AreEqual(Samples, report.RejectedEntries, "every entry is checked when read, rejected once, and rewritten");
        Assert.AreEqual(2 * Samples, report.Stored);
        Assert.AreEqual(Samples, report.FileEntries);
        Assert.AreEqual(Samples * (Epochs - 1) - Samples, report.Hits);
        Assert.IsNull(report.FileDisabled);
    }

    public static IEnumerable<object[]> ForeignFiles =>
    [
        ["garbage", "not a decoded-image cache file"],
        ["truncated", "truncated or extended"],
        ["other options", "another dataset or other decode options"],
        ["other dataset", "another dataset or other decode options"],
    ];

    [TestMethod]
    [DynamicData(nameof(ForeignFiles))]
    public async Task Run_ForeignOrCorruptFile_IsRebuiltNeverTrusted(string kind, string reason)
    {
        using var d = new TempDataset().WithClasses(3, 4, 41, 33);
        using var folder = new TempDataset();
        var cache = new DecodedImageCacheOptions { Folder = folder.Root, KeepFile = true };
        string path = Path.Combine(folder.Root, DecodedImageCacheOptions.FileName);
        switch (kind)
        {
            case "garbage":
                await File.WriteAllBytesAsync(path, [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7))]);
                break;
            case "truncated":
                await PipelineRunner.RunAsync(Options(cache), d.Root);
                using (var file = new FileStream(path, FileMode.Open)) { file.SetLength(file.Length - 10); }
                break;
            case "other options":
                await PipelineRunner.RunAsync(Options(cache) with { ColorMode = ColorMode.Bgr }, d.Root);
                break;
            default:
                await PipelineRunner.RunAsync(Options(cache), d.Root);
                // Same count and size, one file's content changed: the fingerprint covers each file's length and time.
                string victim = Directory.GetFiles(Path.Combine(d.Root, "class1"))[0];
                using (Mat other = TempDataset.Pattern(41, 33, 99))
                {
                    Cv2.ImWrite(victim, other);
                }

                File.SetLastWriteTimeUtc(victim, DateTime.UtcNow.AddMinutes(5));
                break;
        }

        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);
        (List<SeenBatch> cached, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(cache), d.Root);

        AssertSameBatches(expected, cached);
        CacheReport report = pipeline.Report.Cache!;
        StringAssert.Contains(report.FileRebuilt, reason);
        Assert.AreEqual(Samples, report.Stored);
        Assert.AreEqual(Samples * (Epochs - 1), report.Hits);
    }

    [TestMethod]
    public async Task Run_KeptFileAfterASourceRewrittenWithItsSizeAndTimeKept_IsRebuilt()
    {
        // BMP: the same size of file for any pixels of the same size of image.
        using var d = new TempDataset().WithClasses(3, 4, 41, 33, ".bmp");
        using var folder = new TempDataset();
        var cache = new DecodedImageCacheOptions { Folder = folder.Root, KeepFile = true };
        await PipelineRunner.RunAsync(Options(cache), d.Root);
        string victim = Directory.GetFiles(Path.Combine(d.Root, "class1"))[0];
        var before = new FileInfo(victim);
        (long length, DateTime written) = (before.Length, before.LastWriteTimeUtc);
        using (Mat other = TempDataset.Pattern(41, 33, 99))
        {
            Cv2.ImWrite(victim, other);
        }

        File.SetLastWriteTimeUtc(victim, written);
        var after = new FileInfo(victim);
        Assert.AreEqual((length, written), (after.Length, after.LastWriteTimeUtc), "the rewritten file keeps its size and modification time");

        (List<SeenBatch> expected, _) = await PipelineRunner.RunAsync(Options(null), d.Root);
        (List<SeenBatch> cached, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(cache), d.Root);

        AssertSameBatches(expected, cached);
        CacheReport report = pipeline.Report.Cache!;
        Assert.AreEqual("it was written for another dataset or other decode options (its fingerprint or sizes differ)", report.FileRebuilt);
        Assert.AreEqual(Samples, report.Stored);
    }

    [TestMethod]
    public async Task Run_CorruptImageWithCache_ReportedInEveryEpoch()
    {
        using var d = new TempDataset().WithClasses(2, 4, 41, 33);
        string bad = d.WriteBytes("class1/broken.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);

        (List<SeenBatch> batches, ImagePipeline pipeline) = await PipelineRunner.RunAsync(Options(new DecodedImageCacheOptions()), d.Root);

        Assert.AreEqual(8 * Epochs, batches.Sum(b => b.Labels.Length));
        CollectionAssert.AreEqual(Enumerable.Range(0, Epochs).ToArray(), pipeline.Report.Skipped.Select(s => s.Epoch).Order().ToArray());
        Assert.IsTrue(pipeline.Report.Skipped.All(s => s.Path == bad && s.Stage == "decode"));
        Assert.IsTrue(pipeline.Report.CountsAddUp);
        Assert.AreEqual(8, pipeline.Report.Cache!.Stored);
    }

    [TestMethod]
    public async Task Run_LargerCacheSize_IsDecodeAtCacheSizeThenResizeToTarget()
    {
        using var d = new TempDataset().WithClasses(2, 3, 70, 50);
        var options = new PipelineOptions
        {
            Decode = new StageOptions(1, 2), Width = 24, Height = 20, BatchSize = 6, Epochs = 2, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.ZeroToOne,
            Cache = new DecodedImageCacheOptions { Width = 48, Height = 40 },
        };

        (List<SeenBatch> batches, ImagePipeline pipeline) = await PipelineRunner.RunAsync(options, d.Root);

        Assert.AreEqual(6, pipeline.Report.Cache!.Hits);
        Assert.AreEqual(48 * 40 * 3, pipeline.Report.Cache.EntryBytes);
        foreach (SeenBatch batch in batches)
        {
            for (int r = 0; r < batch.Labels.Length; r++)
            {
                using Mat atCacheSize = ReferenceImages.DecodeResize(batch.Paths[r], 48, 40);
                using Mat expected = atCacheSize.Resize(new Size(24, 20), 0, 0, InterpolationFlags.Linear);
                byte[] actual = ReferenceImages.FromNchwRow(batch.Data.AsSpan(r * 24 * 20 * 3, 24 * 20 * 3), 24, 20, 3);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), actual, $"{batch.Paths[r]} epoch {batch.Epoch}");
            }
        }
    }

    [TestMethod]
    public async Task Run_SourceCropWithLargerCache_SameBatchesInEveryCachedRun()
    {
        using var d = new TempDataset().WithClasses(2, 4, 70, 50);
        PipelineOptions options = Options(new DecodedImageCacheOptions { Width = 48, Height = 40 }) with { Augmentations = [new RandomResizedCrop(), new RandomHorizontalFlip()] };

        (List<SeenBatch> a, _) = await PipelineRunner.RunAsync(options, d.Root);
        (List<SeenBatch> b, _) = await PipelineRunner.RunAsync(options with { Decode = new PipelineOptions().Decode }, d.Root);

        AssertSameBatches(a, b);
        CollectionAssert.AreNotEqual(a[0].Data, a.First(x => x.Epoch == 1).Data, "the crop differs per epoch");
    }

    public static IEnumerable<object[]> InvalidCaches =>
    [
        [new DecodedImageCacheOptions { Width = 10 }, "Cache.Width", "between 24 and 16384, was 10"],
        [new DecodedImageCacheOptions { Height = 19 }, "Cache.Height", "between 20 and 16384, was 19"],
        [new DecodedImageCacheOptions { MemoryBudgetBytes = -1 }, "Cache.MemoryBudgetBytes", "between 0 and 1099511627776, was -1"],
        [new DecodedImageCacheOptions { KeepFile = true }, "Cache.KeepFile", "\"Cache.Folder\" is null"],
    ];

    [TestMethod]
    [DynamicData(nameof(InvalidCaches))]
    public void Build_InvalidCache_ThrowsNamingTheOption(DecodedImageCacheOptions cache, string name, string message)
    {
        var builder = ImagePipeline.CreateBuilder(Options(cache));

        var e = Assert.Throws<ArgumentException>(() => builder.Build(_ => { }));

        Assert.AreEqual(name, e.ParamName);
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void Build_CacheAndPipelineValuesInvalid_OneExceptionListingBoth()
    {
        var builder = ImagePipeline.CreateBuilder(Options(new DecodedImageCacheOptions { MemoryBudgetBytes = -1 }) with { BatchSize = 0 });

        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => builder.Build(_ => { }));

        CollectionAssert.AreEqual(new[] { "BatchSize", "Cache.MemoryBudgetBytes" }, e.Failures.Select(f => f.Option).ToArray());
        Assert.AreEqual("Parameter \"Cache.MemoryBudgetBytes\" must be between 0 and 1099511627776, was -1.", e.Failures[1].Message);
    }

    [TestMethod]
    public void Build_MissingCacheFolder_ThrowsNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "dataflow-tests", "no-such-cache-folder");
        var builder = ImagePipeline.CreateBuilder(Options(new DecodedImageCacheOptions { Folder = missing }));

        var e = Assert.Throws<DirectoryNotFoundException>(() => builder.Build(_ => { }));

        StringAssert.Contains(e.Message, "\"Cache.Folder\"");
        StringAssert.Contains(e.Message, missing);
    }

    private static void AssertSameBatches(List<SeenBatch> expected, List<SeenBatch> actual)
    {
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Epoch, actual[i].Epoch);
            CollectionAssert.AreEqual(expected[i].Paths, actual[i].Paths, $"batch {i}");
            CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, $"pixels of batch {i} (epoch {expected[i].Epoch})");
        }
    }
}
