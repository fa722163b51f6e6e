using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

[TestClass]
public sealed class ParquetSampleSourceTests
{
    /// <summary>The folders as two Hugging Face files (data/train-0000N-of-00002.parquet) of row groups of 3 rows.</summary>
    private static async Task<(TempDataset Folders, string ParquetRoot, List<(string Path, int Label)> Rows)> HuggingFaceAsync(int rowGroupSize = 3)
    {
        TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string root = Path.Combine(folders.Root + "-hf");
        await FormatTestData.WriteParquetAsync(Path.Combine(root, "data", "train-00000-of-00002.parquet"), rows[..7], classes, rowGroupSize);
        await FormatTestData.WriteParquetAsync(Path.Combine(root, "data", "train-00001-of-00002.parquet"), rows[7..], classes, rowGroupSize);
        File.WriteAllText(Path.Combine(root, "README.md"), "a dataset card");
        return (folders, root, rows);
    }

    private static string IdOf(string root, int index) => index < 7
        ? Path.Combine(root, "data", "train-00000-of-00002.parquet") + "#" + index
        : Path.Combine(root, "data", "train-00001-of-00002.parquet") + "#" + (index - 7);

    [TestMethod]
    public async Task Run_HuggingFaceLayout_SameBatchesAsFoldersWithClassNamesFromMetadata()
    {
        var (folders, root, _) = await HuggingFaceAsync();
        using (folders)
        {
            PipelineOptions options = ShardTestData.Options(batchSize: 5, epochs: 2);
            var (expected, _) = await PipelineRunner.RunAsync(options, folders.Root);
            using var source = new ParquetSampleSource();
            var (actual, pipeline) = await ShardTestData.RunAsync(source, options, root);

            FormatTestData.AssertSameAsFolders(expected, actual, i => IdOf(root, i), "parquet");
            CollectionAssert.AreEqual(new[] { "cat", "dog", "eel" }, pipeline.Report.ClassNames.ToArray());
            Assert.AreEqual(24, pipeline.Report.Batched);
            // The card beside data/ is listed, not lost silently.
            Assert.IsTrue(pipeline.Report.Ignored.Any(i => i.Path.EndsWith("README.md", StringComparison.Ordinal)), string.Join("; ", pipeline.Report.Ignored));
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_RowGroupsOfTwoFilesAndAnUnlabelledRow_IdsLabelsAndFingerprintAsTheSamplesListed()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string root = folders.Root + "-compact";
        string first = Path.Combine(root, "data", "train-00000-of-00002.parquet"), second = Path.Combine(root, "data", "train-00001-of-00002.parquet");
        var unlabelled = rows.Select((r, i) => i == 2 ? (r.Path, Label: -1) : r).ToList();
        await FormatTestData.WriteParquetAsync(first, unlabelled[..7], classes, 3);
        await FormatTestData.WriteParquetAsync(second, unlabelled[7..], classes, 4);
        try
        {
            using var source = new ParquetSampleSource();
            SampleSet set = await source.DiscoverAsync([root], CancellationToken.None);

            var expected = unlabelled.Select((r, i) => (Id: i < 7 ? first + "#" + i : second + "#" + (i - 7), r.Label)).Where(r => r.Label >= 0).ToList();
            Assert.HasCount(expected.Count, set.Samples);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.AreEqual(i, set.Samples[i].Index);
                Assert.AreEqual(expected[i].Id, set.Samples[i].Id);
                Assert.AreEqual(expected[i].Label, set.Samples[i].Label, expected[i].Id);
            }

            Assert.AreEqual(first + "#2", set.Ignored.Single().Path);
            var listed = new SampleSet(set.ClassNames, [.. set.Samples], set.Ignored);
            Assert.AreEqual(Dataflow.Pipeline.Distributed.PipelineStateIdentity.Fingerprint(listed), Dataflow.Pipeline.Distributed.PipelineStateIdentity.Fingerprint(set),
                "the samples held compactly are the same dataset as the samples listed");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_FileWrittenByDuckDb_SameBatchesAsFolders()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string file = Path.Combine(folders.Root + "-duckdb", "train.parquet");
        FormatTestData.WriteParquetWithDuckDb(file, rows, classes, rowGroupSize: 2048);
        try
        {
            PipelineOptions options = ShardTestData.Options(batchSize: 4);
            var (expected, _) = await PipelineRunner.RunAsync(options, folders.Root);
            using var source = new ParquetSampleSource();
            var (actual, pipeline) = await ShardTestData.RunAsync(source, options, file);

            FormatTestData.AssertSameAsFolders(expected, actual, i => file + "#" + i, "duckdb");
            CollectionAssert.AreEqual(classes.ToArray(), pipeline.Report.ClassNames.ToArray());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_ShardShufflePlanner_EachRowGroupReadOncePerEpochAndEverySampleOnce()
    {
        var (folders, root, _) = await HuggingFaceAsync(rowGroupSize: 2);
        using (folders)
        {
            // One read worker: the reads come in the plan's order, so with a cache of one row group each is read exactly
            // once per epoch (with parallel reads a late read of a row group already let go reads it again).
            PipelineOptions basic = ShardTestData.Options(batchSize: 3, epochs: 2);
            var options = new PipelineOptions { Width = basic.Width, Height = basic.Height, ReducedDecode = false, BatchSize = 3, Epochs = 2, Seed = basic.Seed, Read = new StageOptions(1, 2) };
            using var source = new ParquetSampleSource(new ParquetSourceOptions { RowGroupCacheBytes = 1 });
            var seen = new List<SeenBatch>();
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).UsePlanner(ShardShufflePlanner.For(options, bufferSize: 1))
                .Build(b => seen.Add(SeenBatch.Copy(b)));
            pipeline.Post(root);
            pipeline.Complete();
            await pipeline.Completion;
            PipelineRunner.AssertNothingHeld(pipeline);

            // 7 rows in 4 row groups, 5 rows in 3: with a buffer of 1 the epoch is the row groups one after the other.
            Assert.AreEqual(2 * 7, source.RowGroupsRead);
            foreach (int epoch in new[] { 0, 1 })
            {
                int[] indices = [.. seen.Where(b => b.Epoch == epoch).SelectMany(b => b.SampleIndices)];
                CollectionAssert.AreEquivalent(Enumerable.Range(0, 12).ToArray(), indices, $"epoch {epoch}");
            }

            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_SeveralSplitsWithoutSplit_RefusedNamingThem_SplitReadsOnlyItsFiles()
    {
        var (folders, root, rows) = await HuggingFaceAsync();
        using (folders)
        {
            await FormatTestData.WriteParquetAsync(Path.Combine(root, "data", "test-00000-of-00001.parquet"), rows[..2], ["cat", "dog", "eel"], 3);
            using (var source = new ParquetSampleSource())
            {
                var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([root], CancellationToken.None));
                StringAssert.Contains(e.Message, "holds the splits 'test', 'train': set ParquetSourceOptions.Split to one of them");
            }

            using (var source = new ParquetSampleSource(new ParquetSourceOptions { Split = "test" }))
            {
                SampleSet set = await source.DiscoverAsync([root], CancellationToken.None);
                Assert.HasCount(2, set.Samples);
                Assert.AreEqual(2, set.Ignored.Count(i => i.Reason.Contains("not of the split 'test'", StringComparison.Ordinal)), string.Join("; ", set.Ignored));
            }

            File.Delete(Path.Combine(root, "data", "train-00001-of-00002.parquet"));
            using (var source = new ParquetSampleSource(new ParquetSourceOptions { Split = "train" }))
            {
                var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([root], CancellationToken.None));
                StringAssert.Contains(e.Message, "has 1 of its 2 files: numbers 00001 are missing");
            }

            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_MissingLabelColumn_RefusedNamingFileAndColumns()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string file = Path.Combine(folders.Root, "..", Guid.NewGuid().ToString("N"), "x.parquet");
        await FormatTestData.WriteParquetAsync(file, rows, classes, 4, labelColumn: "category");
        using var source = new ParquetSampleSource();
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([file], CancellationToken.None));
        Assert.AreEqual($"The Parquet file '{Path.GetFullPath(file)}' has no label column 'label' (ParquetSourceOptions.LabelColumn); its columns: image.bytes, image.path, category.", e.Message);
        using var renamed = new ParquetSampleSource(new ParquetSourceOptions { LabelColumn = "category" });
        Assert.HasCount(12, (await renamed.DiscoverAsync([file], CancellationToken.None)).Samples);
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    [TestMethod]
    public async Task Discover_NotParquetOrTruncated_RefusedNamingTheFile()
    {
        using var data = new TempDataset();
        string file = data.WriteBytes("a.parquet", [.. "not a parquet file at all, just text"u8]);
        using var source = new ParquetSampleSource();
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([file], CancellationToken.None));
        Assert.AreEqual($"The file '{file}' is not a Parquet file: it does not end with the Parquet magic \"PAR1\".", e.Message);

        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string good = Path.Combine(data.Root, "b", "train.parquet");
        await FormatTestData.WriteParquetAsync(good, rows, classes, 4);
        byte[] bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(good, bytes[..(bytes.Length / 2)]);
        e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([good], CancellationToken.None));
        StringAssert.StartsWith(e.Message, $"The file '{good}' is not a Parquet file");
    }

    [TestMethod]
    public async Task Run_ImageCellNotAnImageAndNullCell_SkippedAndReportedNamingFileAndRow()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string file = Path.Combine(folders.Root + "-bad", "train.parquet");
        await FormatTestData.WriteParquetAsync(file, rows, classes, 5, bytesOf: i => i switch
        {
            3 => "these bytes are no image"u8.ToArray(),
            8 => null,
            _ => File.ReadAllBytes(rows[i].Path),
        });
        try
        {
            using var source = new ParquetSampleSource();
            var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(batchSize: 4), file);
            Assert.AreEqual(10, batches.Sum(b => b.Labels.Length));
            var skipped = pipeline.Report.Skipped.Select(s => s.Path).Order(StringComparer.Ordinal).ToArray();
            CollectionAssert.AreEqual(new[] { file + "#3", file + "#8" }, skipped, string.Join("; ", pipeline.Report.Skipped));
            StringAssert.Contains(pipeline.Report.Skipped.Single(s => s.Path.EndsWith("#8", StringComparison.Ordinal)).Reason, $"'{file}' row 8 has no image bytes");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_CorruptPage_RowGroupFailsNamingFileAndRows()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string file = Path.Combine(folders.Root + "-corrupt", "train.parquet");
        await FormatTestData.WriteParquetAsync(file, rows, classes, 6);
        try
        {
            // Damage the compressed image data of the first row group (Parquet.Net compresses with Snappy).
            ForeignFile.FlipBytes(file, Enumerable.Range(0, 64).Select(i => 200L + i * 7));
            using var source = new ParquetSampleSource();
            var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(batchSize: 4), file);
            Assert.AreEqual(6, batches.Sum(b => b.Labels.Length), string.Join("; ", pipeline.Report.Skipped));
            Assert.HasCount(6, pipeline.Report.Skipped);
            foreach (var skip in pipeline.Report.Skipped)
            {
                StringAssert.Contains(skip.Reason, $"The Parquet file '{file}' row group 0 (rows 0..5) cannot be read");
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_HuggingFaceObjectsWrittenByDuckDb_BoxesClassesAndPixelsOfEachRow()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        foreach (bool listOfStructs in new[] { false, true })
        {
            string file = Path.Combine(data.Root, listOfStructs ? "list" : "struct", "data", "train-00000-of-00001.parquet");
            DetectionTestData.WriteParquet(file, images, listOfStructs);
            using var source = new ParquetSampleSource();
            SampleSet set = await source.DiscoverAsync([file], CancellationToken.None);
            CollectionAssert.AreEqual(new[] { "cat", "dog", "eel", ParquetSampleSource.NoObjectClass }, set.ClassNames.ToArray());
            CollectionAssert.AreEqual(DetectionTestData.Classes, set.TargetSchema!.ClassNames.ToArray());
            Assert.AreEqual(TargetKinds.Boxes, set.TargetSchema.Kinds);
            // The objects' id goes with each box; area is the box's own.
            CollectionAssert.AreEqual(new[] { 100, 101, 102 }, set.Samples[1].Targets!.Boxes!.Field("id").ToArray());

            var (batches, pipeline) = await DetectionTestData.RunAsync(source, file);
            await using ImagePipeline _ = pipeline;
            DetectionTestData.AssertBatches(batches, images, i => file + "#" + i, 1e-4f, listOfStructs ? "list of structs" : "struct of lists");
            Assert.IsEmpty(pipeline.Report.Skipped);
        }
    }

    [TestMethod]
    public async Task Run_ObjectsBoxFormatXyxy_ReadsCornerBoxes()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        string file = Path.Combine(data.Root, "xyxy.parquet");
        DetectionTestData.WriteParquet(file, images, bboxOf: (image, k) => [.. image.Boxes.AsSpan(4 * k, 4).ToArray().Select(v => (float)v)]);
        using var source = new ParquetSampleSource(new ParquetSourceOptions { ObjectsBoxFormat = BoxFormat.Xyxy });
        var (batches, pipeline) = await DetectionTestData.RunAsync(source, file);
        await using ImagePipeline _ = pipeline;
        DetectionTestData.AssertBatches(batches, images, i => file + "#" + i, 1e-4f, "xyxy");
    }

    [TestMethod]
    public async Task Discover_BadObjects_RefusedNamingFileRowAndObject()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        (string Name, Func<DetectionImage, int, float[]>? Bbox, string? Metadata, string Message)[] cases =
        [
            ("three", (image, k) => image.Name == "b" && k == 1 ? [1, 2, 3] : DetectionTestData.Xywh(image, k), null, "row 1 object 1 has a bbox of 3 numbers; a box has 4 (xywh)."),
            ("nan", (image, k) => image.Name == "d" ? [float.NaN, 1, 2, 3] : DetectionTestData.Xywh(image, k), null, "row 3 object 0 has bbox [NaN, 1, 2, 3]: every number must be finite."),
            ("negative", (image, k) => image.Name == "a" && k == 1 ? [30, 10, -5, 4] : DetectionTestData.Xywh(image, k), null, "row 0 object 1 has bbox [30, 10, -5, 4] with a negative width or height (xywh, ParquetSourceOptions.ObjectsBoxFormat)."),
            ("classes", null, DetectionTestData.HuggingFaceMetadata().Replace("\"eel\"", "", StringComparison.Ordinal).Replace(",]", "]", StringComparison.Ordinal), "row 1 object 1 has category 2, outside the 2 classes (0..1)."),
        ];
        foreach (var (name, bbox, metadata, message) in cases)
        {
            string file = Path.Combine(data.Root, name + ".parquet");
            DetectionTestData.WriteParquet(file, images, bboxOf: bbox, huggingface: metadata);
            using var source = new ParquetSampleSource();
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([file], CancellationToken.None), name);
            Assert.AreEqual($"The Parquet file '{file}' {message}", e.Message, name);
        }
    }

    [TestMethod]
    public void Options_Invalid_RefusedNamingTheOption()
    {
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => new ParquetSampleSource(new ParquetSourceOptions { RowGroupCacheBytes = 0, ImageColumn = " " }));
        StringAssert.Contains(e.Message, "RowGroupCacheBytes");
        StringAssert.Contains(e.Message, "Parameter \"ImageColumn\" must name a column, was \" \".");
    }
}
