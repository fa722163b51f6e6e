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

    /// <summary>A shard by GNU tar of the detection fixture's images, each with the json field <paramref name="jsonOf"/> gives (none for null) and the extra members.</summary>
    private static string DetectionShard(string folder, IReadOnlyList<DetectionImage> images, Func<DetectionImage, string?> jsonOf, Action<DetectionImage, string>? more = null)
    {
        string members = Path.Combine(folder, "members");
        Directory.CreateDirectory(members);
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(members, image.Name + ".png"));
            if (jsonOf(image) is string json)
            {
                File.WriteAllText(Path.Combine(members, image.Name + ".json"), json);
            }

            more?.Invoke(image, Path.Combine(members, image.Name));
        }

        string shard = Path.Combine(folder, "shard-000000.tar");
        ShardSampleSourceTests.Tar(["--format=gnu", "-cf", shard, "-C", members, .. Directory.GetFiles(members).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]);
        return shard;
    }

    private static string Json(DetectionImage image, string format)
    {
        var boxes = Enumerable.Range(0, image.Count).Select(k => format == "xywh"
            ? string.Join(", ", DetectionTestData.Xywh(image, k))
            : string.Join(", ", image.Boxes[(4 * k)..(4 * k + 4)]));
        return $"{{\"box_format\": \"{format}\", \"boxes\": [{string.Join(", ", boxes.Select(b => "[" + b + "]"))}], \"labels\": [{string.Join(", ", image.Classes)}], \"iscrowd\": [{string.Join(", ", image.Classes.Select(_ => 0))}]}}";
    }

    [TestMethod]
    public async Task Run_JsonBoxesInEachFormatBesideCaptionAndClass_BoxesLabelsTextAndPixels()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        // a in xywh, b in xyxy, c a negative (no boxes) with a caption, d in xyxy with a cls that names its class.
        string shard = DetectionShard(Path.Combine(data.Root, "wds"), images, image => Json(image, image.Name == "a" ? "xywh" : "xyxy"), (image, key) =>
        {
            if (image.Name == "c")
            {
                File.WriteAllText(key + ".txt", "nothing here");
            }

            if (image.Name == "d")
            {
                File.WriteAllText(key + ".cls", "2");
            }
        });
        using var source = new ShardSampleSource(new ShardSourceOptions { ClassNames = DetectionTestData.Classes });
        SampleSet set = await source.DiscoverAsync([shard], CancellationToken.None);
        Assert.AreEqual(TargetKinds.Boxes | TargetKinds.Text, set.TargetSchema!.Kinds);
        CollectionAssert.AreEqual(new[] { "cat", "dog", "eel", ShardSampleSource.NoObjectClass }, set.ClassNames.ToArray());
        Assert.AreEqual("nothing here", set.Samples[2].Targets!.Text);
        CollectionAssert.AreEqual(new[] { 0, 0 }, set.Samples[0].Targets!.Boxes!.Field("iscrowd").ToArray());

        var (batches, pipeline) = await DetectionTestData.RunAsync(source, shard);
        await using ImagePipeline _ = pipeline;
        DetectionTestData.AssertBatches(batches, images, i => shard + "/" + images[i].Name + ".png", 1e-4f, "shard");
    }

    [TestMethod]
    public async Task Discover_BadJsonBoxes_RefusedNamingTheSampleAndTheBox()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        (string Name, string Json, string Message)[] cases =
        [
            ("three", "{\"boxes\": [[1, 2, 3]], \"labels\": [0]}", "has box 0 [1, 2, 3] in its json field: a box is 4 numbers (xyxy)."),
            ("labels", "{\"boxes\": [[1, 2, 3, 4]], \"labels\": [0, 1]}", "has 1 boxes and labels [0, 1] in its json field: one class index per box."),
            ("class", "{\"boxes\": [[1, 2, 3, 4]], \"labels\": [3]}", "has box 0 of class 3 in its json field, outside the 3 classes (0..2)."),
            ("inverted", "{\"boxes\": [[5, 2, 3, 4]], \"labels\": [0]}", "has box 0 [5, 2, 3, 4] in its json field: not finite, or a negative width or height (xyxy)."),
            ("format", "{\"boxes\": [], \"labels\": [], \"box_format\": \"yxyx\"}", "has box_format \"yxyx\" in its json field; one of xyxy, xywh, cxcywh, xyxy-normalized, xywh-normalized, cxcywh-normalized."),
        ];
        foreach (var (name, json, message) in cases)
        {
            string shard = DetectionShard(Path.Combine(data.Root, name), images, image => image.Name == "b" ? json : Json(image, "xyxy"));
            using var source = new ShardSampleSource(new ShardSourceOptions { ClassNames = DetectionTestData.Classes });
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([shard], CancellationToken.None), name);
            Assert.AreEqual($"The sample '{shard}/b.png' {message}", e.Message, name);
        }
    }
}
