using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class ShardSampleSourceTests
{
    [TestMethod]
    public async Task Run_PackedShards_PixelsLabelsAndPathsMatchOpenCvOnTheOriginals()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var shards = new TempDataset();
        ShardIndex index = ShardWriter.Pack([folders.Root], shards.Root, new PackOptions { TargetShardBytes = 8192 });
        Assert.IsGreaterThan(1, index.Shards.Count, "small target size: several shards");

        using var source = new ShardSampleSource();
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(epochs: 2), shards.Root);

        CollectionAssert.AreEqual(new[] { "cat", "dog", "eel" }, pipeline.ClassNames.ToArray());
        foreach (int epoch in new[] { 0, 1 })
        {
            var paths = batches.Where(b => b.Epoch == epoch).SelectMany(b => b.Paths).ToList();
            Assert.HasCount(12, paths);
            Assert.AreEqual(12, paths.Distinct().Count(), "every sample once per epoch");
        }

        foreach (SeenBatch batch in batches)
        {
            for (int row = 0; row < batch.Labels.Length; row++)
            {
                string id = batch.Paths[row];
                StringAssert.StartsWith(id, shards.Root + Path.DirectorySeparatorChar + "shard-");
                string original = ShardTestData.OriginalOf(id, shards.Root, folders.Root);
                Assert.AreEqual(pipeline.ClassNames.ToList().IndexOf(Path.GetFileName(Path.GetDirectoryName(original))!), batch.Labels[row], id);
                using Mat expected = ReferenceImages.DecodeResize(original, 20, 16);
                CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), ReferenceImages.FromNchwRow(batch.Data.AsSpan(row * 3 * 16 * 20, 3 * 16 * 20), 20, 16, 3), id);
            }
        }
    }

    [TestMethod]
    public async Task Discover_WithAndWithoutIndex_SameSamplesAndOffsets()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var shards = new TempDataset();
        ShardWriter.Pack([folders.Root], shards.Root, new PackOptions { TargetShardBytes = 8192, Shuffle = true, Seed = 3 });

        using var indexed = new ShardSampleSource();
        using var scanned = new ShardSampleSource(new ShardSourceOptions { UseIndex = false, ClassNames = ["cat", "dog", "eel"] });
        SampleSet a = await indexed.DiscoverAsync([shards.Root], CancellationToken.None);
        SampleSet b = await scanned.DiscoverAsync([shards.Root], CancellationToken.None);
        CollectionAssert.AreEqual(a.Samples.Select(s => $"{s.Id} {s.Label} {s.State}").ToList(), b.Samples.Select(s => $"{s.Id} {s.Label} {s.State}").ToList());
        CollectionAssert.AreEqual(
            await ShardTestData.ClassAndBytesAsync(new FolderSampleSource(), folders.Root),
            await ShardTestData.ClassAndBytesAsync(indexed, shards.Root));
    }

    [TestMethod]
    public async Task Discover_GnuTarOfAFolder_LoadsClassIndicesAndBytes()
    {
        using var layout = new TempDataset();
        var expected = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            Cv2.ImEncode(".png", TempDataset.Pattern(12, 9, i), out byte[] png);
            layout.WriteBytes($"{i:D6}.png", png);
            layout.WriteBytes($"{i:D6}.cls", Encoding.ASCII.GetBytes($"{i % 3}\n"));
            expected.Add($"{i % 3} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(png))}");
        }

        using var shards = new TempDataset();
        Tar("-cf", Path.Combine(shards.Root, "data-0.tar"), "-C", layout.Root, ".");

        using var source = new ShardSampleSource();
        SampleSet set = await source.DiscoverAsync([shards.Root], CancellationToken.None);
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, set.ClassNames.ToArray());
        Assert.IsEmpty(set.Ignored, string.Join("; ", set.Ignored));
        expected.Sort(StringComparer.Ordinal);
        CollectionAssert.AreEqual(expected, await ShardTestData.ClassAndBytesAsync(source, shards.Root));

        var (batches, _) = await ShardTestData.RunAsync(source, ShardTestData.Options(batchSize: 3), shards.Root);
        Assert.AreEqual(6, batches.Sum(b => b.Labels.Length));
    }

    [TestMethod]
    public async Task Discover_PaxShardWithClassNamesAndNestedKeys_LoadsSortedClassNames()
    {
        using var shards = new TempDataset();
        string path = Path.Combine(shards.Root, "a.tar");
        using (var file = File.Create(path))
        using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            string[] names = ["zebra", "ant", "zebra", "mole"];
            for (int i = 0; i < names.Length; i++)
            {
                Cv2.ImEncode(".jpg", TempDataset.Pattern(16, 16, i), out byte[] jpg);
                Add(writer, $"train/part.{i}/s{i}.JPG", jpg);   // the key is up to the first dot of the last component
                Add(writer, $"train/part.{i}/s{i}.class", Encoding.UTF8.GetBytes(names[i]));
                Add(writer, $"train/part.{i}/s{i}.json", "{}"u8.ToArray());
            }
        }

        using var source = new ShardSampleSource();
        SampleSet set = await source.DiscoverAsync([shards.Root], CancellationToken.None);
        CollectionAssert.AreEqual(new[] { "ant", "mole", "zebra" }, set.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 2, 0, 2, 1 }, set.Samples.Select(s => s.Label).ToArray());
        Assert.AreEqual(path + "/train/part.1/s1.jpg", set.Samples[1].Id);
        var (batches, _) = await ShardTestData.RunAsync(source, ShardTestData.Options(batchSize: 2), shards.Root);
        Assert.AreEqual(4, batches.Sum(b => b.Labels.Length));
    }

    [TestMethod]
    public async Task Discover_SamplesWithoutImageOrClassOrWithUnknownClass_IgnoredWithReasons()
    {
        using var shards = new TempDataset();
        Cv2.ImEncode(".png", TempDataset.Pattern(8, 8, 1), out byte[] png);
        using (var file = File.Create(Path.Combine(shards.Root, "a.tar")))
        using (var writer = new TarWriter(file, TarEntryFormat.Ustar))
        {
            Add(writer, "good.png", png);
            Add(writer, "good.cls", "1"u8.ToArray());
            Add(writer, "noimage.cls", "0"u8.ToArray());
            Add(writer, "noimage.txt", "caption"u8.ToArray());
            Add(writer, "noclass.png", png);
            Add(writer, "unknown.png", png);
            Add(writer, "unknown.cls", "7"u8.ToArray());
            Add(writer, "badcls.png", png);
            Add(writer, "badcls.cls", "seven"u8.ToArray());
            Add(writer, "noext", png);
        }

        using var source = new ShardSampleSource(new ShardSourceOptions { ClassNames = ["a", "b"] });
        SampleSet set = await source.DiscoverAsync([shards.Root], CancellationToken.None);
        Assert.HasCount(1, set.Samples);
        StringAssert.EndsWith(set.Samples[0].Id, "a.tar/good.png");
        string reasons = string.Join("\n", set.Ignored.Select(i => $"{Path.GetFileName(i.Path)}: {i.Reason}"));
        StringAssert.Contains(reasons, "noimage: sample has no image field (fields: cls, txt)");
        StringAssert.Contains(reasons, "noclass: sample has no class field");
        StringAssert.Contains(reasons, "unknown.png: class index 7 is not one of the 2 classes");
        StringAssert.Contains(reasons, "badcls: sample has no usable class: its cls field is \"seven\"");
        StringAssert.Contains(reasons, "noext: tar member name has no field extension");
    }

    [TestMethod]
    public async Task Discover_ClassFieldWithByteOrderMarkOrInvisibleCharacters_MarkIgnoredOthersWrittenOutInTheReason()
    {
        using var shards = new TempDataset();
        Cv2.ImEncode(".png", TempDataset.Pattern(8, 8, 1), out byte[] png);
        using (var file = File.Create(Path.Combine(shards.Root, "a.tar")))
        using (var writer = new TarWriter(file, TarEntryFormat.Ustar))
        {
            Add(writer, "bom.png", png);
            Add(writer, "bom.cls", [0xEF, 0xBB, 0xBF, (byte)'1', (byte)'\n']);
            Add(writer, "plain.png", png);
            Add(writer, "plain.cls", "0"u8.ToArray());
            Add(writer, "zerowidth.png", png);
            Add(writer, "zerowidth.cls", Encoding.UTF8.GetBytes("1\u200B"));
            Add(writer, "nbsp.png", png);
            Add(writer, "nbsp.cls", Encoding.UTF8.GetBytes("1\u00A02"));
        }

        using var source = new ShardSampleSource(new ShardSourceOptions { ClassNames = ["a", "b"] });
        SampleSet set = await source.DiscoverAsync([shards.Root], CancellationToken.None);
        CollectionAssert.AreEqual(new[] { "bom.png:1", "plain.png:0" }, set.Samples.Select(s => $"{Path.GetFileName(s.Id)}:{s.Label}").ToArray());
        string reasons = string.Join("\n", set.Ignored.Select(i => $"{Path.GetFileName(i.Path)}: {i.Reason}"));
        StringAssert.Contains(reasons, "zerowidth: sample has no usable class: its cls field is \"1\\u200B\", not a class index");
        StringAssert.Contains(reasons, "nbsp: sample has no usable class: its cls field is \"1\\u00A02\", not a class index");
    }

    [TestMethod]
    public async Task Discover_TruncatedShard_FailsNamingTheShard()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var shards = new TempDataset();
        ShardWriter.Pack([folders.Root], shards.Root);
        string shard = Path.Combine(shards.Root, "shard-000000.tar");
        using (var file = new FileStream(shard, FileMode.Open))
        {
            file.SetLength(file.Length - 3000);
        }

        using var scanning = new ShardSampleSource(new ShardSourceOptions { UseIndex = false });
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => scanning.DiscoverAsync([shards.Root], CancellationToken.None));
        StringAssert.Contains(e.Message, shard);
        StringAssert.Contains(e.Message, "truncated");

        using var indexed = new ShardSampleSource();
        var stale = await Assert.ThrowsExactlyAsync<StaleIndexException>(() => indexed.DiscoverAsync([shards.Root], CancellationToken.None));
        StringAssert.Contains(stale.Message, $"shard '{shard}' is");
    }

    [TestMethod]
    public async Task Discover_CorruptTarHeader_FailsNamingTheShardAndByte()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var shards = new TempDataset();
        ShardIndex index = ShardWriter.Pack([folders.Root], shards.Root);
        string shard = Path.Combine(shards.Root, "shard-000000.tar");
        byte[] bytes = File.ReadAllBytes(shard);
        long secondHeader = index.Shards[0].Members![1].Offset - 512;
        bytes.AsSpan((int)secondHeader + 100, 60).Fill((byte)'x'); // mode, owner, size, time and checksum fields: not octal
        File.WriteAllBytes(shard, bytes);

        using var source = new ShardSampleSource(new ShardSourceOptions { UseIndex = false });
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([shards.Root], CancellationToken.None));
        StringAssert.Contains(e.Message, $"The shard '{shard}' is not a valid tar file near byte");
    }

    [TestMethod]
    public async Task Discover_StaleIndex_MissingShardSizeOrHashChanged_Refused()
    {
        using TempDataset folders = ShardTestData.Folders();
        using var shards = new TempDataset();
        ShardIndex index = ShardWriter.Pack([folders.Root], shards.Root, new PackOptions { TargetShardBytes = 8192 });
        string first = Path.Combine(shards.Root, index.Shards[0].Name);
        string last = Path.Combine(shards.Root, index.Shards[^1].Name);

        // Same size, one byte of image data changed: only the hash shows it.
        byte[] bytes = File.ReadAllBytes(first);
        bytes[index.Shards[0].Members![0].Offset + 10] ^= 1;
        File.WriteAllBytes(first, bytes);
        using (var sizes = new ShardSampleSource())
        {
            Assert.HasCount(12, (await sizes.DiscoverAsync([shards.Root], CancellationToken.None)).Samples, "sizes alone cannot see it");
        }

        using var hashing = new ShardSampleSource(new ShardSourceOptions { VerifyHashes = true });
        var e = await Assert.ThrowsExactlyAsync<StaleIndexException>(() => hashing.DiscoverAsync([shards.Root], CancellationToken.None));
        StringAssert.Contains(e.Message, $"shard '{first}' has SHA-256");
        Assert.AreEqual(Path.Combine(shards.Root, ShardIndex.FileName), e.Index);

        File.Delete(last);
        using var source = new ShardSampleSource();
        e = await Assert.ThrowsExactlyAsync<StaleIndexException>(() => source.DiscoverAsync([shards.Root], CancellationToken.None));
        StringAssert.Contains(e.Message, $"shard '{last}' is missing");
    }

    [TestMethod]
    public async Task Discover_EmptyOrMissingLocation_ClearErrors()
    {
        using var empty = new TempDataset();
        using var source = new ShardSampleSource();
        var e = await Assert.ThrowsExactlyAsync<DirectoryNotFoundException>(() => source.DiscoverAsync([empty.Root], CancellationToken.None));
        StringAssert.Contains(e.Message, "holds no tar shards");
        string missing = Path.Combine(empty.Root, "nope");
        e = await Assert.ThrowsExactlyAsync<DirectoryNotFoundException>(() => source.DiscoverAsync([missing], CancellationToken.None));
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public async Task Run_DuplicateKeysInAShard_LeftOutNamingBothMembersAndTheShard()
    {
        // GNU tar appends a second member of the same name (-r), as a shard edited in place has.
        using var first = new TempDataset();
        using var second = new TempDataset();
        foreach (var (name, seed) in new[] { ("twice.png", 1), ("both.png", 2), ("both.jpg", 3), ("labels.png", 4), ("good.png", 5) })
        {
            Cv2.ImEncode(Path.GetExtension(name), TempDataset.Pattern(12, 9, seed), out byte[] image);
            first.WriteBytes(name, image);
        }

        Cv2.ImEncode(".png", TempDataset.Pattern(12, 9, 6), out byte[] other);
        second.WriteBytes("twice.png", other);
        foreach (string key in new[] { "twice", "both", "labels", "good" })
        {
            first.WriteBytes($"{key}.cls", "0"u8.ToArray());
        }

        second.WriteBytes("labels.cls", "1"u8.ToArray());
        using var shards = new TempDataset();
        string shard = Path.Combine(shards.Root, "a.tar");
        Tar("-cf", shard, "-C", first.Root, "twice.png", "twice.cls", "both.png", "both.jpg", "both.cls", "labels.png", "labels.cls", "good.png", "good.cls");
        Tar("-rf", shard, "-C", second.Root, "twice.png", "labels.cls");

        using var source = new ShardSampleSource(new ShardSourceOptions { ClassNames = ["a", "b"] });
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(batchSize: 1), shards.Root);

        CollectionAssert.AreEqual(new[] { shard + "/good.png" }, batches.SelectMany(b => b.Paths).ToArray());
        CollectionAssert.AreEqual(
            new[]
            {
                $"{shard}/twice.png: duplicate key 'twice' in the shard '{shard}': '{shard}/twice.png' and '{shard}/twice.png' are images of the same sample; neither is read",
                $"{shard}/both.png: duplicate key 'both' in the shard '{shard}': '{shard}/both.png' and '{shard}/both.jpg' are images of the same sample; neither is read",
                $"{shard}/labels: sample has no usable class: it has two cls members that disagree, \"0\" and \"1\"",
            },
            pipeline.Report.Ignored.Select(i => $"{i.Path}: {i.Reason}").ToArray());
    }

    [TestMethod]
    public async Task Run_GzipShardsBesideTarShards_EverySampleReadStreamedAndSampleBySample()
    {
        using var layout = new TempDataset();
        var expected = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            Cv2.ImEncode(".png", TempDataset.Pattern(12, 9, i), out byte[] png);
            layout.WriteBytes($"s{i}.png", png);
            layout.WriteBytes($"s{i}.cls", Encoding.ASCII.GetBytes($"{i % 3}"));
            expected.Add($"{i % 3} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(png))}");
        }

        using var shards = new TempDataset();
        Tar("-cf", Path.Combine(shards.Root, "a.tar"), "-C", layout.Root, "s0.png", "s0.cls", "s1.png", "s1.cls");
        Tar("-czf", Path.Combine(shards.Root, "b.tar.gz"), "-C", layout.Root, "s2.png", "s2.cls", "s3.png", "s3.cls", "s4.png", "s4.cls");
        Tar("-czf", Path.Combine(shards.Root, "c.tgz"), "-C", layout.Root, "s5.png", "s5.cls", "s6.png", "s6.cls");

        using var streamed = new ShardSampleSource();
        using var perSample = new ShardSampleSource(new ShardSourceOptions { Streaming = false });
        expected.Sort(StringComparer.Ordinal);
        CollectionAssert.AreEqual(expected, await ShardTestData.ClassAndBytesAsync(perSample, shards.Root));
        var (a, pipeline) = await ShardTestData.RunAsync(streamed, ShardTestData.Options(batchSize: 3), shards.Root);
        var (b, _) = await ShardTestData.RunAsync(perSample, ShardTestData.Options(batchSize: 3), shards.Root);

        Assert.IsEmpty(pipeline.Report.Ignored, string.Join("; ", pipeline.Report.Ignored));
        Assert.AreEqual(7, a.Sum(x => x.Labels.Length));
        Assert.AreEqual(1, streamed.StreamedEpochs);
        Assert.AreEqual(3, streamed.ShardRequests, "one request per shard, the gzip ones from their start");
        StringAssert.Contains(string.Join(" ", a.SelectMany(x => x.Paths)), Path.Combine(shards.Root, "b.tar.gz") + "/s3.png");
        ShardStreamingTests.AssertSameBatches(b, a);
    }

    [TestMethod]
    [DataRow(0.5)]
    [DataRow(0.98)]
    public async Task Discover_TruncatedGzipShard_FailsNamingTheShard(double kept)
    {
        using var layout = new TempDataset();
        for (int i = 0; i < 4; i++)
        {
            using var noise = new Mat(40, 40, MatType.CV_8UC3);
            Cv2.Randu(noise, Scalar.All(0), Scalar.All(256));
            Cv2.ImEncode(".png", noise, out byte[] png);
            layout.WriteBytes($"s{i}.png", png);
            layout.WriteBytes($"s{i}.cls", "0"u8.ToArray());
        }

        using var shards = new TempDataset();
        string shard = Path.Combine(shards.Root, "a.tar.gz");
        Tar("-czf", shard, "-C", layout.Root, "s0.png", "s0.cls", "s1.png", "s1.cls", "s2.png", "s2.cls", "s3.png", "s3.cls");
        byte[] bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..(int)(bytes.Length * kept)]);

        using var source = new ShardSampleSource();
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([shards.Root], CancellationToken.None));
        StringAssert.StartsWith(e.Message, $"The shard '{shard}' ");
    }

    [TestMethod]
    public async Task Run_EmptyShardAndFilesThatAreNotShards_ListedInIgnoredWithTheReason()
    {
        using PackedShards packed = ShardTestData.Packed();
        string root = packed.Shards.Root;
        File.WriteAllBytes(Path.Combine(root, "empty.tar"), []);
        File.WriteAllText(Path.Combine(root, "README.txt"), "notes");
        File.Copy(Path.Combine(root, packed.Index.Shards[0].Name), Path.Combine(root, "extra.tar"));

        using var indexed = new ShardSampleSource();
        var (_, pipeline) = await ShardTestData.RunAsync(indexed, ShardTestData.Options(), root);
        Assert.AreEqual(12, pipeline.Report.Batched);
        string index = Path.Combine(root, ShardIndex.FileName);
        CollectionAssert.AreEqual(
            new[]
            {
                $"{Path.Combine(root, "README.txt")}: not a shard (*.tar, *.tar.gz, *.tgz): not read",
                $"{Path.Combine(root, "empty.tar")}: shard not listed in the index '{index}': not read",
                $"{Path.Combine(root, "extra.tar")}: shard not listed in the index '{index}': not read",
            },
            pipeline.Report.Ignored.Select(i => $"{i.Path}: {i.Reason}").ToArray());

        File.Delete(Path.Combine(root, "extra.tar"));
        using var scanning = new ShardSampleSource(new ShardSourceOptions { UseIndex = false });
        (_, pipeline) = await ShardTestData.RunAsync(scanning, ShardTestData.Options(), root);
        Assert.AreEqual(12, pipeline.Report.Batched);
        CollectionAssert.AreEqual(
            new[]
            {
                $"{Path.Combine(root, "empty.tar")}: shard holds no tar members (0 bytes): no samples",
                $"{Path.Combine(root, "README.txt")}: not a shard (*.tar, *.tar.gz, *.tgz): not read",
                $"{index}: shard index not read (ShardSourceOptions.UseIndex is false)",
            },
            pipeline.Report.Ignored.Select(i => $"{i.Path}: {i.Reason}").ToArray());
    }

    [TestMethod]
    public async Task Run_EditedIndex_RefusedNamingEveryShardMemberAndField()
    {
        using PackedShards packed = ShardTestData.Packed();
        string indexPath = Path.Combine(packed.Shards.Root, ShardIndex.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(indexPath))!;
        var classes = json["classes"]!.AsArray();
        var shards = json["shards"]!.AsArray();
        classes.Add("cat");
        var first = shards[0]!["members"]!.AsArray();
        first[1]!["offset"] = first[0]!["offset"]!.GetValue<long>();      // overlapping members
        first[0]!["label"] = -1;
        var second = shards[1]!["members"]!.AsArray();
        second[0]!["offset"] = -512;
        second[0]!["key"] = null;
        second[1]!["length"] = 3_000_000_000;
        second[1]!["label"] = 99;
        shards[2]!["members"]![0]!["key"] = "../outside";
        var third = shards[3]!["members"]!.AsArray();
        third.Add(shards[4]!["members"]![0]!.DeepClone());                   // a member from another shard
        shards[3]!["samples"] = third.Count;
        shards.Add(shards[2]!.DeepClone()); // a shard listed twice
        File.WriteAllText(indexPath, json.ToJsonString());

        using var source = new ShardSampleSource();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(ShardTestData.Options()).UseSource(source).Build(_ => { });
        pipeline.Post(packed.Shards.Root);
        pipeline.Complete();
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => pipeline.Completion);
        string[] expected =
        [
            $"The shard index '{indexPath}' is not valid (11 problems):",
            "classes[3] \"cat\" is listed twice (also classes[0])",
            "shards[0] 'shard-000000.tar' members[0] (key 'cat/img_3'): label -1 is not one of the 4 classes (0..3)",
            "shards[0] 'shard-000000.tar' members[1] (key 'cat/img0'): bytes 512..1808 overlap members[0] (key 'cat/img_3', bytes 512..2041 and its header)",
            "shards[1] 'shard-000001.tar' members[0]: key is null",
            "shards[1] 'shard-000001.tar' members[0]: offset -512 is not where a tar member's data can start (a multiple of 512, at least 512)",
            "shards[1] 'shard-000001.tar' members[1] (key 'cat/img2'): label 99 is not one of the 4 classes (0..3)",
            "shards[1] 'shard-000001.tar' members[1] (key 'cat/img2'): length 3000000000 is more than one buffer can hold (2147483591 bytes)",
            "shards[2] 'shard-000002.tar' members[0] (key '../outside'): key leaves the shard (a leading '/' or a '..' component)",
            "shards[3] 'shard-000003.tar' members[2] (key 'eel/img_3'): bytes 512..2027 overlap members[0] (key 'dog/img1', bytes 512..1902 and its header)",
            "shards[6] 'shard-000002.tar': the shard is listed twice (also shards[2])",
            "shards[6] 'shard-000002.tar' members[0] (key '../outside'): key leaves the shard (a leading '/' or a '..' component)",
        ];
        Assert.AreEqual(string.Join(Environment.NewLine + "  ", expected), e.Message);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Run_ShardsInASubFolder_NotMergedListedInIgnored(bool useIndex)
    {
        using PackedShards packed = ShardTestData.Packed();
        string root = packed.Shards.Root;
        string val = Path.Combine(root, "val");
        Directory.CreateDirectory(Path.Combine(val, "deep"));
        File.Copy(Path.Combine(root, packed.Index.Shards[0].Name), Path.Combine(val, "shard-000000.tar"));
        File.Copy(Path.Combine(root, packed.Index.Shards[1].Name), Path.Combine(val, "deep", "shard-000001.tar"));
        File.WriteAllText(Path.Combine(val, "notes.txt"), "notes");

        using var source = new ShardSampleSource(new ShardSourceOptions { UseIndex = useIndex });
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(), root);

        Assert.AreEqual(12, batches.Sum(b => b.Labels.Length), "the top level's 12 samples, none of val/");
        Assert.IsFalse(batches.SelectMany(b => b.Paths).Any(p => p.StartsWith(val, StringComparison.Ordinal)));
        Assert.AreEqual(
            $"{val}: sub-folder not read (3 files, 2 of them shards): shards are read from the top level of a location only; post the sub-folder as a root of its own",
            pipeline.Report.Ignored.Select(i => $"{i.Path}: {i.Reason}").First());
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Run_SingleShardFileOrBracePattern_ReadsOnlyTheNamedShards(bool useIndex)
    {
        using PackedShards packed = ShardTestData.Packed();
        string root = packed.Shards.Root;
        IReadOnlyList<ShardIndexEntry> shards = packed.Index.Shards;
        Assert.IsGreaterThan(3, shards.Count);
        var options = new ShardSourceOptions { UseIndex = useIndex, ClassNames = ["cat", "dog", "eel"] };
        foreach (var (posted, names) in new[]
        {
            (Path.Combine(root, "shard-000001.tar"), new[] { "shard-000001.tar" }),
            (Path.Combine(root, "shard-{000000..000002}.tar"), new[] { "shard-000000.tar", "shard-000001.tar", "shard-000002.tar" }),
            (Path.Combine(root, "shard-00000{0,3}.tar"), new[] { "shard-000000.tar", "shard-000003.tar" }),
        })
        {
            using var source = new ShardSampleSource(options);
            var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(), posted);
            var expected = names.SelectMany(n => shards.Single(s => s.Name == n).Members!.Select(m => $"{Path.Combine(root, n)}/{m.Key}.{m.Image}")).Order().ToArray();
            CollectionAssert.AreEqual(expected, batches.SelectMany(b => b.Paths).Order().ToArray(), posted);
            Assert.IsEmpty(pipeline.Report.Ignored, string.Join("; ", pipeline.Report.Ignored));
        }

        using var missing = new ShardSampleSource(options);
        string pattern = Path.Combine(root, "shard-{000004..000009}.tar");
        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => missing.DiscoverAsync([pattern], CancellationToken.None));
        string absent = string.Join("', '", Enumerable.Range(shards.Count, 10 - shards.Count).Select(i => Path.Combine(root, $"shard-{i:D6}.tar")));
        Assert.AreEqual($"The shard pattern '{pattern}' names {10 - shards.Count} of its 6 shards that do not exist: '{absent}'.", e.Message);

        string one = Path.Combine(root, "shard-000099.tar");
        e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => missing.DiscoverAsync([Path.Combine(root, "shard-0000{99..99}.tar")], CancellationToken.None));
        Assert.AreEqual($"The shard '{one}' does not exist.", e.Message);

        string malformed = Path.Combine(root, "shard-{000000..}.tar");
        var bad = await Assert.ThrowsExactlyAsync<ArgumentException>(() => missing.DiscoverAsync([malformed], CancellationToken.None));
        Assert.AreEqual($"The shard pattern \"{malformed}\" is not valid: the range {{000000..}} is not two whole numbers. (Parameter 'root')", bad.Message);
    }

    [TestMethod]
    public async Task Run_MemberNamesLeavingTheShard_NotReadListedInIgnored()
    {
        using var shards = new TempDataset();
        string shard = Path.Combine(shards.Root, "a.tar");
        Cv2.ImEncode(".png", TempDataset.Pattern(8, 8, 1), out byte[] png);
        string longPath = "x/../../" + new string('d', 120) + "/evil";   // too long for ustar: written as a PAX path record
        using (var file = File.Create(shard))
        using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            foreach (string key in new[] { "good", "../up", "/abs", longPath })
            {
                Add(writer, key + ".png", png);
                Add(writer, key + ".cls", "0"u8.ToArray());
            }
        }

        using var source = new ShardSampleSource();
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(batchSize: 1), shards.Root);

        CollectionAssert.AreEqual(new[] { shard + "/good.png" }, batches.SelectMany(b => b.Paths).ToArray());
        string[] expected = [.. new[] { "../up", "/abs", longPath }.SelectMany(k => new[] { $"{k}.png", $"{k}.cls" })
            .Select(n => $"{shard}: tar member '{n}' leaves the shard (a leading '/' or a '..' component): not read")];
        CollectionAssert.AreEqual(expected, pipeline.Report.Ignored.Select(i => $"{i.Path}: {i.Reason}").ToArray());
    }

    [TestMethod]
    public async Task Discover_PaxSizeOverflowOrGnuSparseMember_FailsNamingTheShard()
    {
        using var shards = new TempDataset();
        string overflow = Path.Combine(shards.Root, "overflow.tar");
        byte[] record = PaxRecord("size", "99999999999999999999999");
        File.WriteAllBytes(overflow, [.. RawHeader("PaxHeaders/a.png", record.Length, 'x'), .. Padded(record), .. RawHeader("a.png", 3, '0'), .. Padded("png"u8.ToArray()), .. new byte[1024]]);
        using (var source = new ShardSampleSource())
        {
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([shards.Root], CancellationToken.None));
            StringAssert.StartsWith(e.Message, $"The shard '{overflow}' is not a valid tar file near byte ");
            Assert.IsInstanceOfType<OverflowException>(e.InnerException);
        }

        File.Delete(overflow);
        using var layout = new TempDataset();
        string sparseFile = layout.WriteBytes("big.png", []);
        using (var stream = new FileStream(sparseFile, FileMode.Open))
        {
            stream.SetLength(4 << 20); // a hole: GNU tar --sparse stores the file as a sparse member
            stream.Position = 2_000_000;
            stream.WriteByte(1);
        }

        layout.WriteBytes("big.cls", "0"u8.ToArray());
        string sparse = Path.Combine(shards.Root, "sparse.tar");
        Tar("--sparse", "-cf", sparse, "-C", layout.Root, "big.png", "big.cls");
        Assert.AreEqual((byte)'S', File.ReadAllBytes(sparse)[156], "GNU tar wrote a sparse member");
        using (var source = new ShardSampleSource())
        {
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([shards.Root], CancellationToken.None));
            Assert.AreEqual($"The shard '{sparse}' is not a valid tar file near byte 512: Entry type 'SparseFile' not supported.", e.Message);
            Assert.IsInstanceOfType<NotSupportedException>(e.InnerException);
        }
    }

    private static byte[] PaxRecord(string key, string value)
    {
        string body = $" {key}={value}\n";
        int length = body.Length + 1;
        while ((length.ToString(System.Globalization.CultureInfo.InvariantCulture) + body).Length != length)
        {
            length++;
        }

        return Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture) + body);
    }

    private static byte[] Padded(byte[] data) => [.. data, .. new byte[(512 - (data.Length % 512)) % 512]];

    /// <summary>A ustar header written by hand, for headers no writer produces.</summary>
    private static byte[] RawHeader(string name, long size, char type)
    {
        var header = new byte[512];
        void Put(int at, string text) => Encoding.ASCII.GetBytes(text).CopyTo(header, at);
        Put(0, name);
        Put(100, "0000644\0");
        Put(108, "0000000\0");
        Put(116, "0000000\0");
        Put(124, Convert.ToString(size, 8).PadLeft(11, '0') + "\0");
        Put(136, "00000000000\0");
        Put(148, "        ");
        header[156] = (byte)type;
        Put(257, "ustar\0");
        Put(263, "00");
        int sum = header.Sum(b => b);
        Put(148, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return header;
    }

    internal static void Add(TarWriter writer, string name, byte[] data)
    {
        TarEntry entry = writer.Format switch
        {
            TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, name),
            _ => new UstarTarEntry(TarEntryType.RegularFile, name),
        };
        entry.DataStream = new MemoryStream(data);
        writer.WriteEntry(entry);
    }

    internal static void Tar(params string[] args)
    {
        var info = new ProcessStartInfo("tar") { RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process tar = Process.Start(info) ?? throw new InvalidOperationException("GNU tar is needed by this test: apt-get install tar");
        string error = tar.StandardError.ReadToEnd();
        tar.WaitForExit();
        Assert.AreEqual(0, tar.ExitCode, error);
    }
}
