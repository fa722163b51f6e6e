using System.Formats.Tar;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class ShardWriterTests
{
    [TestMethod]
    public void Pack_Twice_SameBytesAndIndex()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var a = new TempDataset();
        using var b = new TempDataset();
        ShardIndex first = ShardWriter.Pack([folders.Root], a.Root, new PackOptions { TargetShardBytes = 8192, Shuffle = true, Seed = 5 });
        File.SetLastWriteTimeUtc(Path.Combine(folders.Root, "cat", "img0.png"), DateTime.UtcNow.AddDays(-3));
        ShardWriter.Pack([folders.Root], b.Root, new PackOptions { TargetShardBytes = 8192, Shuffle = true, Seed = 5 });

        foreach (string file in Directory.GetFiles(a.Root).Select(Path.GetFileName)!)
        {
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a.Root, file!)), File.ReadAllBytes(Path.Combine(b.Root, file!)), file);
        }

        Assert.AreEqual(12, first.Shards.Sum(s => s.Samples));
        Assert.IsTrue(first.Shards.All(s => s.Bytes <= 8192 || s.Samples == 1), "every shard within the target unless one sample is larger");
        Assert.HasCount(Directory.GetFiles(a.Root, "*.tar").Length, first.Shards);
    }

    [TestMethod]
    public void Pack_Shuffled_SameSamplesOtherOrder_HeadersFixed()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var sorted = new TempDataset();
        using var shuffled = new TempDataset();
        ShardIndex s = ShardWriter.Pack([folders.Root], sorted.Root);
        ShardIndex r = ShardWriter.Pack([folders.Root], shuffled.Root, new PackOptions { Shuffle = true, Seed = 1 });
        string[] sortedKeys = [.. s.Shards.SelectMany(x => x.Members!).Select(m => m.Key)];
        string[] shuffledKeys = [.. r.Shards.SelectMany(x => x.Members!).Select(m => m.Key)];
        CollectionAssert.AreEqual(new[] { "cat/img_3", "cat/img0" }, sortedKeys[..2], "class-sorted, files in code-point order");
        CollectionAssert.AreNotEqual(sortedKeys, shuffledKeys);
        CollectionAssert.AreEquivalent(sortedKeys, shuffledKeys);
        CollectionAssert.Contains(sortedKeys, "cat/img_3", "a dot in the stem becomes '_'");

        using var reader = new TarReader(File.OpenRead(Path.Combine(sorted.Root, s.Shards[0].Name)));
        while (reader.GetNextEntry() is TarEntry entry)
        {
            Assert.AreEqual(TarEntryFormat.Ustar, entry.Format);
            Assert.AreEqual(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            Assert.AreEqual(0, entry.Uid);
            Assert.AreEqual(0, entry.Gid);
        }
    }

    [TestMethod]
    public void Pack_IntoFolderWithShards_Refused()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var output = new TempDataset();
        ShardWriter.Pack([folders.Root], output.Root);
        var e = Assert.ThrowsExactly<IOException>(() => ShardWriter.Pack([folders.Root], output.Root));
        StringAssert.Contains(e.Message, "already holds shards");
    }

    [TestMethod]
    public void Options_Invalid_NameAndValue()
    {
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => new PackOptions { TargetShardBytes = 10 }.Validate());
        Assert.AreEqual("Parameter \"TargetShardBytes\" must be at least 4096, was 10.", e.Message.Split(" (Parameter")[0]);
        Assert.AreEqual("TargetShardBytes", e.ParamName);
        e = Assert.ThrowsExactly<PipelineOptionsException>(() => new PackOptions { NamePrefix = "a/b" }.Validate());
        Assert.AreEqual("NamePrefix", e.ParamName);
        e = Assert.ThrowsExactly<PipelineOptionsException>(() => new PackOptions { MaxFileBytes = 0 }.Validate());
        Assert.AreEqual("Parameter \"MaxFileBytes\" must be at least 1, was 0.", e.Message.Split(" (Parameter")[0]);
        Assert.AreEqual("MaxFileBytes", e.ParamName);
        Assert.AreEqual(256L << 20, new PackOptions().MaxFileBytes);
    }

    [TestMethod]
    public void Options_TwoInvalid_OneExceptionListingBothNamedByTheFirst()
    {
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => new PackOptions { TargetShardBytes = 10, NamePrefix = "" }.Validate());

        Assert.AreEqual("TargetShardBytes", e.ParamName);
        CollectionAssert.AreEqual(new[] { "TargetShardBytes", "NamePrefix" }, e.Failures.Select(f => f.Option).ToArray());
    }

    [TestMethod]
    public void Pack_FileAboveMaxFileBytes_RefusedNamingIt()
    {
        using var folders = new TempDataset().WithClasses(2, 2, 20, 20);
        using var output = new TempDataset();
        string large = folders.WriteBytes("class1/large.png", new byte[5000]);

        var e = Assert.ThrowsExactly<IOException>(() => ShardWriter.Pack([folders.Root], output.Root, new PackOptions { MaxFileBytes = 4999 }));

        Assert.AreEqual($"The file '{large}' is 5000 bytes, above the limit of 4999 bytes (MaxFileBytes): not read.", e.Message);
        // At the limit it is packed, byte for byte.
        using var again = new TempDataset();
        ShardIndex index = ShardWriter.Pack([folders.Root], again.Root, new PackOptions { MaxFileBytes = 5000 });
        Assert.AreEqual(5000L, index.Shards.SelectMany(s => s.Members!).Single(m => m.Key == "class1/large").Length);
    }
}
