using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class PackCommandTests
{
    private static TempDataset Folders()
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
    public async Task Pack_BadArguments_OneLineErrors()
    {
        using TempDataset data = Folders();
        (await SampleRun.RunAsync("pack", "--data", data.Root, "--out", SampleRun.AbsentPath("pack"), "--shard-bytes", "10"))
            .AssertOneLineError("--shard-bytes must be at least 4096, was 10.", 2);
        (await SampleRun.RunAsync("pack", "--data", data.Root)).AssertOneLineError("--out", 2);
        (await SampleRun.RunAsync("index", "--data", SampleRun.AbsentPath("index"))).AssertOneLineError("does not exist", 2);
    }
}
