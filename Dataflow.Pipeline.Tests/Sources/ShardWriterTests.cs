using System.Formats.Tar;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Sources.Formats;
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

    [TestMethod]
    public async Task PackDataset_CocoYoloVoc_ShardsGiveTheSameLabelsPixelsAndBoxes()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        (string Form, ISampleSource Source, string Root, string Folder, float Tolerance)[] forms =
        [
            ("COCO", new CocoSampleSource(), DetectionTestData.WriteCoco(Path.Combine(data.Root, "coco"), images), "train/", 1e-4f),
            ("YOLO", new YoloSampleSource(), DetectionTestData.WriteYolo(Path.Combine(data.Root, "yolo"), images), "images/train/", 2e-4f),
            ("VOC", new VocSampleSource(classNames: DetectionTestData.Classes), DetectionTestData.WriteVoc(Path.Combine(data.Root, "voc"), images), "JPEGImages/", 1e-4f),
        ];
        foreach (var (form, source, root, folder, tolerance) in forms)
        {
            string packed = Path.Combine(data.Root, form + "-shards");
            ShardIndex index = ShardWriter.PackDataset(source, [root], packed, new PackOptions { TargetShardBytes = 8192 });
            CollectionAssert.AreEqual(new[] { "cat", "dog", "eel", ShardSampleSource.NoObjectClass }, index.Classes.ToArray(), form);
            Assert.IsGreaterThan(1, index.Shards.Count, form);
            var members = index.Shards.SelectMany(s => s.Members!.Select(m => (Shard: s.Name, m.Key))).ToList();
            string IdOf(int i) => $"{packed}/{members[i].Shard}/{folder}{images[i].Name}.png";
            // From the index (the boxes in each member's text) and by scanning the shards (the boxes in each json member).
            foreach (bool useIndex in new[] { true, false })
            {
                using var shards = new ShardSampleSource(new ShardSourceOptions { UseIndex = useIndex, ClassNames = useIndex ? null : DetectionTestData.Classes });
                var (batches, pipeline) = await DetectionTestData.RunAsync(shards, packed);
                await using ImagePipeline _ = pipeline;
                CollectionAssert.AreEqual(new[] { "cat", "dog", "eel", ShardSampleSource.NoObjectClass }, pipeline.Report.ClassNames.ToArray(), form);
                DetectionTestData.AssertBatches(batches, images, IdOf, tolerance, $"{form} packed{(useIndex ? "" : ", scanned")}");
            }
        }
    }

    [TestMethod]
    public void PackDataset_TargetsShardsDoNotCarry_RefusedNamingTheKind()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        string yolo = DetectionTestData.WriteYolo(Path.Combine(data.Root, "yolo"), images);
        // A segment line: the box gets an instance mask, which a shard has no field for.
        File.WriteAllText(Path.Combine(yolo, "labels", "train", "a.txt"), "0 0.1 0.1 0.3 0.1 0.3 0.4\n");
        File.Delete(Path.Combine(yolo, "labels", "train", "b.txt"));
        File.Delete(Path.Combine(yolo, "labels", "train", "d.txt"));
        var e = Assert.ThrowsExactly<ArgumentException>(() => ShardWriter.PackDataset(new YoloSampleSource(), [yolo], Path.Combine(data.Root, "out")));
        StringAssert.Contains(e.Message, "has targets of kind InstanceMasks; packed shards carry boxes only, so they would be lost.");
    }
}
