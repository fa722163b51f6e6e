using System.Security.Cryptography;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

/// <summary>WebDataset shards with every field, written by GNU tar: keys with several dots, cls, txt and json beside the image, gzip, brace patterns.</summary>
[TestClass]
public sealed class WebDatasetFieldsTests
{
    /// <summary>
    /// Two shards made by GNU tar from a folder of WebDataset members: sample i is (images of the folder dataset, in
    /// discovery order) as <c>train.v2/NNNN.jpg|png</c> with <c>.cls</c>, a <c>.txt</c> caption on the even ones, a
    /// <c>.json</c> on every third, and a <c>.seg.png</c> field that is not the image; the shards in <paramref name="gzipped"/> gzip-compressed.
    /// </summary>
    private static (string Root, List<(string Path, int Label)> Rows) Shards(TempDataset folders, params int[] gzipped)
    {
        var (rows, _) = FormatTestData.Rows(folders.Root);
        string root = folders.Root + "-wds";
        for (int shard = 0; shard < 2; shard++)
        {
            string members = Path.Combine(root, "members-" + shard);
            for (int i = shard * 6; i < shard * 6 + 6; i++)
            {
                string key = Path.Combine(members, "train.v2", i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(Path.GetDirectoryName(key)!);
                File.Copy(rows[i].Path, key + Path.GetExtension(rows[i].Path));
                File.WriteAllText(key + ".cls", rows[i].Label.ToString(System.Globalization.CultureInfo.InvariantCulture));
                File.WriteAllBytes(key + ".seg.png", File.ReadAllBytes(rows[(i + 1) % rows.Count].Path));
                if (i % 2 == 0)
                {
                    File.WriteAllText(key + ".txt", $"caption of sample {i}: a ü and a \"quote\"");
                }

                if (i % 3 == 0)
                {
                    File.WriteAllText(key + ".json", $"{{\"id\": {i}, \"source\": \"{Path.GetFileName(rows[i].Path)}\"}}");
                }
            }

            string name = Path.Combine(root, $"shard-{shard:D6}.tar" + (gzipped.Contains(shard) ? ".gz" : ""));
            ShardSampleSourceTests.Tar("--format=gnu", "--sort=name", gzipped.Contains(shard) ? "-czf" : "-cf", name, "-C", members, "train.v2");
            Directory.Delete(members, recursive: true);
        }

        return (root, rows);
    }

    private static string? ExpectedText(int i, List<(string Path, int Label)> rows) =>
        i % 2 == 0 ? $"caption of sample {i}: a ü and a \"quote\"" : i % 3 == 0 ? $"{{\"id\": {i}, \"source\": \"{Path.GetFileName(rows[i].Path)}\"}}" : null;

    [TestMethod]
    public async Task Discover_GnuTarShardsWithEveryField_ImageClsAndTextOfEachSample()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, rows) = Shards(folders, 1);
        try
        {
            using var source = new ShardSampleSource();
            SampleSet set = await source.DiscoverAsync([root], CancellationToken.None);
            Assert.HasCount(12, set.Samples);
            Assert.AreEqual(TargetKinds.Text, set.TargetSchema!.Kinds);
            var pool = new Dataflow.Pipeline.Memory.BufferPool();
            foreach (SampleInfo sample in set.Samples)
            {
                // train.v2/0003.jpg: the key is up to the first dot of the last component, the rest its field.
                string key = sample.Id[(sample.Id.IndexOf("train.v2/", StringComparison.Ordinal) + 9)..];
                int i = int.Parse(key[..4], System.Globalization.CultureInfo.InvariantCulture);
                Assert.AreEqual(Path.GetExtension(rows[i].Path), key[4..], sample.Id);
                Assert.AreEqual(rows[i].Label, sample.Label, sample.Id);
                Assert.AreEqual(ExpectedText(i, rows), sample.Targets?.Text, sample.Id);
                using var bytes = await source.ReadAsync(sample, pool, CancellationToken.None);
                CollectionAssert.AreEqual(SHA256.HashData(File.ReadAllBytes(rows[i].Path)), SHA256.HashData(bytes.Span), sample.Id);
            }

            Assert.IsFalse(set.Ignored.Any(), string.Join("; ", set.Ignored));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_BracePatternOverGzipShards_SameBatchesAsFoldersTextKeptThroughTheIndex()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, rows) = Shards(folders, 0, 1);
        try
        {
            // Folder order is class-sorted; the shards' keys are that order, so the same seed gives the same batches.
            PipelineOptions options = ShardTestData.Options(batchSize: 5);
            var (expected, _) = await PipelineRunner.RunAsync(options, folders.Root);
            using (var source = new ShardSampleSource())
            {
                var (actual, _) = await ShardTestData.RunAsync(source, options, Path.Combine(root, "shard-{000000..000001}.tar.gz"));
                Assert.HasCount(expected.Count, actual);
                for (int b = 0; b < expected.Count; b++)
                {
                    CollectionAssert.AreEqual(expected[b].Data, actual[b].Data, $"batch {b}");
                    CollectionAssert.AreEqual(expected[b].Labels, actual[b].Labels, $"batch {b}");
                }
            }

            (ShardIndex index, _) = await ShardIndex.CreateAsync(root);
            using (FileStream file = File.Create(Path.Combine(root, ShardIndex.FileName)))
            {
                index.Save(file);
            }

            using var indexed = new ShardSampleSource();
            SampleSet set = await indexed.DiscoverAsync([root], CancellationToken.None);
            CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(i => ExpectedText(i, rows)).ToArray(), set.Samples.Select(s => s.Targets?.Text).ToArray());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_JsonFieldNotJson_SampleIgnoredNamingItAndTheField()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, _) = Shards(folders);
        try
        {
            string members = Path.Combine(root, "extra");
            Directory.CreateDirectory(Path.Combine(members, "x.y"));
            File.Copy(Directory.GetFiles(Path.Combine(folders.Root, "cat"))[0], Path.Combine(members, "x.y", "bad.png"));
            File.WriteAllText(Path.Combine(members, "x.y", "bad.cls"), "0");
            File.WriteAllText(Path.Combine(members, "x.y", "bad.json"), "{not json");
            ShardSampleSourceTests.Tar("-cf", Path.Combine(root, "shard-000002.tar"), "-C", members, "x.y");
            Directory.Delete(members, recursive: true);
            using var source = new ShardSampleSource();
            SampleSet set = await source.DiscoverAsync([root], CancellationToken.None);
            Assert.HasCount(12, set.Samples);
            var entry = set.Ignored.Single();
            Assert.AreEqual(Path.Combine(root, "shard-000002.tar") + "/x.y/bad", entry.Path);
            Assert.AreEqual("sample's text cannot be read: its json field is not valid JSON (\"{not json\")", entry.Reason);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
