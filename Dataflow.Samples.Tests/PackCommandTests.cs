using System.Text.Json;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class PackCommandTests
{
    /// <summary>Three classes of four PNG images each.</summary>
    internal static TempDataset Folders()
    {
        var data = new TempDataset();
        int seed = 1;
        foreach (string c in new[] { "cat", "dog", "eel" })
        {
            for (int i = 0; i < 4; i++)
            {
                data.AddImage(c, $"img{i}.png", 30 + i, 22, seed++);
            }
        }

        return data;
    }

    [TestMethod]
    public async Task Pack_FifoAmongTheImages_OneLineNamingItWithoutWaiting()
    {
        using TempDataset data = Folders();
        using var output = new TempDataset();
        string fifo = SpecialFiles.Fifo(Path.Combine(data.Root, "dog", "img9.png"));

        SampleRun run = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", Path.Combine(output.Root, "shards"));

        run.AssertOneLineError($"The file '{fifo}' is a FIFO (named pipe), not a regular file: not read.", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Pack_FailsPartWay_LeavesNothingAndARerunPacks()
    {
        using TempDataset data = Folders();
        using var output = new TempDataset();
        string shards = Path.Combine(output.Root, "shards");
        // The last class in the packing order: the shards of the first two are written before the pack fails on it.
        string fifo = SpecialFiles.Fifo(Path.Combine(data.Root, "eel", "img9.png"));

        SampleRun failed = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", shards, "--shard-bytes", "4096");
        failed.AssertOneLineError($"The file '{fifo}' is a FIFO (named pipe), not a regular file: not read.", ExitCodes.Failed);
        Assert.IsEmpty(Directory.GetFiles(shards));

        File.Delete(fifo);
        SampleRun again = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", shards, "--shard-bytes", "4096");

        Assert.AreEqual(0, again.ExitCode, again.Error);
        Assert.Contains("packed 12 samples of 3 classes", again.Output);
    }

    [TestMethod]
    public async Task Pack_LinkToDevZero_OneLineNamingTheLink()
    {
        using TempDataset data = Folders();
        using var output = new TempDataset();
        string link = Path.Combine(data.Root, "cat", "zero.png");
        File.CreateSymbolicLink(link, "/dev/zero");

        SampleRun run = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", Path.Combine(output.Root, "shards"));

        run.AssertOneLineError($"The file '{link}' is a character device, not a regular file: not read.", ExitCodes.Failed);
    }

    [TestMethod]
    [DataRow(3L << 30)]
    [DataRow(3L << 29)]
    public async Task Pack_FileAboveMaxFileBytes_OneLineNamingItsSizeAndTheLimit(long bytes)
    {
        using TempDataset data = Folders();
        using var output = new TempDataset();
        string large = Path.Combine(data.Root, "eel", "large.png");
        using (var file = new FileStream(large, FileMode.CreateNew))
        {
            // Sparse: the size is there, the disk blocks are not.
            file.SetLength(bytes);
        }

        SampleRun run = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", Path.Combine(output.Root, "shards"));

        run.AssertOneLineError($"The file '{large}' is {bytes} bytes, above the limit of {256 << 20} bytes (MaxFileBytes): not read.", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Pack_ThenIndex_WriteShardsIndexAndFolderIndex()
    {
        using TempDataset data = Folders();
        using var output = new TempDataset();
        string shards = Path.Combine(output.Root, "shards");

        SampleRun run = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", shards, "--shard-bytes", "8192", "--shuffle-seed", "4");
        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("packed 12 samples of 3 classes", run.Output);
        ShardIndex index;
        using (var stream = File.OpenRead(Path.Combine(shards, ShardIndex.FileName)))
        {
            index = ShardIndex.Load(stream, "test");
        }

        Assert.HasCount(Directory.GetFiles(shards, "*.tar").Length, index.Shards);
        using var source = new ShardSampleSource();
        SampleSet set = await source.DiscoverAsync([shards], CancellationToken.None);
        Assert.HasCount(12, set.Samples);
        CollectionAssert.AreEqual(new[] { "cat", "dog", "eel" }, set.ClassNames.ToArray());

        run = await SampleRun.RunAsync("index", "--data", data.Root);
        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("indexed 12 files of 3 classes", run.Output);
        Assert.IsTrue(File.Exists(Path.Combine(data.Root, FolderIndex.FileName)));
    }

    [TestMethod]
    public async Task Pack_Json_OneDocumentWithEveryShardOfTheIndex()
    {
        using TempDataset data = Folders();
        using var output = new TempDataset();
        string shards = Path.Combine(output.Root, "shards");

        SampleRun run = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", shards, "--shard-bytes", "8192", "--json");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        JsonElement root = document.RootElement;
        Assert.AreEqual(12, root.GetProperty("samples").GetInt32());
        Assert.AreEqual(3, root.GetProperty("classes").GetInt32());
        Assert.AreEqual(Path.Combine(shards, ShardIndex.FileName), root.GetProperty("index").GetString());
        ShardIndex index;
        using (var stream = File.OpenRead(Path.Combine(shards, ShardIndex.FileName)))
        {
            index = ShardIndex.Load(stream, "test");
        }

        CollectionAssert.AreEqual(
            index.Shards.Select(s => $"{Path.Combine(shards, s.Name)} {s.Samples} {s.Bytes} {s.Sha256}").ToArray(),
            root.GetProperty("shards").EnumerateArray().Select(s =>
                $"{s.GetProperty("file").GetString()} {s.GetProperty("samples").GetInt32()} {s.GetProperty("bytes").GetInt64()} {s.GetProperty("sha256").GetString()}").ToArray());
        Assert.AreEqual(index.Shards.Sum(s => s.Bytes), root.GetProperty("bytes").GetInt64());
    }

    [TestMethod]
    public async Task Pack_BadArguments_OneLineErrors()
    {
        using TempDataset data = Folders();
        (await SampleRun.RunAsync("pack", "--data", data.Root, "--out", SampleRun.AbsentPath("pack"), "--shard-bytes", "10"))
            .AssertOneLineError("--shard-bytes must be at least 4096, was 10.", 2);
        (await SampleRun.RunAsync("pack", "--data", data.Root)).AssertOneLineError("--out", 2);
        (await SampleRun.RunAsync("index", "--data", SampleRun.AbsentPath("index"))).AssertOneLineError("does not exist", 2);
    }

    [TestMethod]
    public async Task Pack_CocoDataset_ShardsKeepEveryImagesBoxesAndLabel()
    {
        string coco = SampleRun.AbsentPath("pack-coco");
        using var output = new TempDataset();
        try
        {
            SampleRun made = await SampleRun.RunAsync("make-detection", "--out", coco, "--images", "10", "--canvas", "64x48", "--seed", "4");
            Assert.AreEqual(0, made.ExitCode, made.Error);
            string shards = Path.Combine(output.Root, "shards");

            SampleRun run = await SampleRun.RunAsync("pack", "--data", coco, "--out", shards, "--shard-bytes", "8192");

            Assert.AreEqual(0, run.ExitCode, run.Error);
            SampleSet original = await new CocoSampleSource().DiscoverAsync([coco], CancellationToken.None);
            using var source = new ShardSampleSource();
            SampleSet packed = await source.DiscoverAsync([shards], CancellationToken.None);
            CollectionAssert.AreEqual(original.ClassNames.ToArray(), packed.ClassNames.ToArray());
            CollectionAssert.AreEqual(original.TargetSchema!.ClassNames.ToArray(), packed.TargetSchema!.ClassNames.ToArray());
            Assert.HasCount(original.Samples.Count, packed.Samples);
            var byName = packed.Samples.ToDictionary(s => Path.GetFileName(s.Id), StringComparer.Ordinal);
            foreach (SampleInfo sample in original.Samples)
            {
                SampleInfo copy = byName[Path.GetFileName(sample.Id)];
                Assert.AreEqual(sample.Label, copy.Label, sample.Id);
                var size = new OpenCvSharp.Size(64, 48);
                CollectionAssert.AreEqual(sample.Targets!.Boxes!.ToXyxy(size), copy.Targets!.Boxes!.ToXyxy(size), sample.Id);
                CollectionAssert.AreEqual(sample.Targets.Boxes.Classes.ToArray(), copy.Targets.Boxes.Classes.ToArray(), sample.Id);
                CollectionAssert.AreEqual(File.ReadAllBytes(sample.Id), await ReadAsync(source, copy), sample.Id);
            }
        }
        finally
        {
            if (Directory.Exists(coco))
            {
                Directory.Delete(coco, recursive: true);
            }
        }
    }

    private static async Task<byte[]> ReadAsync(ISampleSource source, SampleInfo sample)
    {
        using Dataflow.Pipeline.Memory.PooledBuffer buffer = await source.ReadAsync(sample, new Dataflow.Pipeline.Memory.BufferPool(), CancellationToken.None);
        return buffer.Array.AsSpan(0, buffer.Length).ToArray();
    }
}
