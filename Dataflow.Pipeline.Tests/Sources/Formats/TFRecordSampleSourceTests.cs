using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

[TestClass]
public sealed class TFRecordSampleSourceTests
{
    /// <summary>The folders as two TFRecord files (7 and 5 records) written by Python's protobuf.</summary>
    private static (string Root, string First, string Second) Write(TempDataset folders, bool packed = true, string imageKey = "image/encoded", string labelKey = "image/class/label")
    {
        var (rows, _) = FormatTestData.Rows(folders.Root);
        string root = folders.Root + "-tfrecord";
        string first = Path.Combine(root, "photos-train.tfrecord-00000-of-00002"), second = Path.Combine(root, "photos-train.tfrecord-00001-of-00002");
        FormatTestData.WriteTFRecordWithPython(first, [.. rows[..7].Select(r => ((string?)r.Path, (int?)r.Label))], imageKey, labelKey, packed);
        FormatTestData.WriteTFRecordWithPython(second, [.. rows[7..].Select(r => ((string?)r.Path, (int?)r.Label))], imageKey, labelKey, packed);
        return (root, first, second);
    }

    [TestMethod]
    public async Task Run_ObjectDetectionApiRecords_BoxesClassesNamesFromTextAndPixels()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        foreach (int labelBase in new[] { 1, 0 })
        {
            string file = Path.Combine(data.Root, $"base{labelBase}", "train.tfrecord");
            DetectionTestData.WriteTFRecord(file, images, labelBase);
            using var source = new TFRecordSampleSource(new TFRecordSourceOptions { ObjectLabelBase = labelBase });
            SampleSet set = await source.DiscoverAsync([file], CancellationToken.None);
            CollectionAssert.AreEqual(new[] { "cat", "dog", "eel", TFRecordSampleSource.NoObjectClass }, set.ClassNames.ToArray());
            CollectionAssert.AreEqual(DetectionTestData.Classes, set.TargetSchema!.ClassNames.ToArray());
            Assert.AreEqual(new BoxFormat(BoxCoordinates.Xyxy, Normalized: true), set.Samples[0].Targets!.Boxes!.Format);

            var (batches, pipeline) = await DetectionTestData.RunAsync(source, file);
            await using ImagePipeline _ = pipeline;
            // Normalized float32 coordinates: within 1e-4 of the pixels at these sizes.
            DetectionTestData.AssertBatches(batches, images, i => file + "#" + i, 1e-4f, $"label base {labelBase}");
        }
    }

    [TestMethod]
    public async Task Discover_BadObjectFeatures_RefusedNamingFileRecordAndObject()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        (string Name, string Key, object Value, string Message)[] cases =
        [
            ("background", "image/object/class/label", new Dictionary<string, object> { ["int64"] = new[] { 0, 2 } }, "record 0 object 0 has image/object/class/label 0: classes are numbered from 1 (TFRecordSourceOptions.ObjectLabelBase; the TF Object Detection API keeps 0 for the background)."),
            ("lengths", "image/object/bbox/ymax", new Dictionary<string, object> { ["float"] = new[] { 0.5 } }, "record 0 has 2 values of image/object/bbox/xmin and 1 of image/object/bbox/ymax: one per box."),
            ("outside", "image/object/bbox/xmax", new Dictionary<string, object> { ["float"] = new[] { 0.5, 1.25 } }, "record 0 object 1 has image/object/bbox/xmax 1.25: box coordinates are normalized to [0, 1] by the image's size."),
            ("nan", "image/object/bbox/xmin", new Dictionary<string, object> { ["float"] = new[] { double.NaN, 0.1 } }, "record 0 object 0 has image/object/bbox/xmin NaN: box coordinates are normalized to [0, 1] by the image's size."),
            ("text", "image/object/class/text", new Dictionary<string, object> { ["bytes"] = new[] { "cat", "eel" } }, "record 1 object 0 has class/label 2 named 'dog'; '"),
        ];
        foreach (var (name, key, value, message) in cases)
        {
            string file = Path.Combine(data.Root, name + ".tfrecord");
            DetectionTestData.WriteTFRecord(file, images, edit: (image, features) =>
            {
                if (image.Name == "a")
                {
                    features[key] = value;
                }

                return features;
            });
            using var source = new TFRecordSampleSource();
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([file], CancellationToken.None), name);
            StringAssert.StartsWith(e.Message, $"The TFRecord file '{file}' {message}", name);
        }
    }

    [TestMethod]
    public async Task Discover_GzipCompressedFile_RefusedSayingSo()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        string file = Path.Combine(data.Root, "train.tfrecord");
        DetectionTestData.WriteTFRecord(file, images);
        FormatTestData.Run("gzip", "-n", file);
        File.Move(file + ".gz", file);
        using var source = new TFRecordSampleSource();
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([file], CancellationToken.None));
        Assert.AreEqual($"The TFRecord file '{file}' is gzip-compressed (TFRecordOptions GZIP): its records cannot be read one at a time; decompress it first (gunzip).", e.Message);
    }

    [TestMethod]
    public async Task Run_RecordsWrittenByPythonProtobuf_SameBatchesAsFolders()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, first, second) = Write(folders);
        try
        {
            PipelineOptions options = ShardTestData.Options(batchSize: 5, epochs: 2);
            var (expected, _) = await PipelineRunner.RunAsync(options, folders.Root);
            using var source = new TFRecordSampleSource(new TFRecordSourceOptions { ClassNames = ["cat", "dog", "eel"] });
            var (actual, pipeline) = await ShardTestData.RunAsync(source, options, root);

            FormatTestData.AssertSameAsFolders(expected, actual, i => i < 7 ? first + "#" + i : second + "#" + (i - 7), "tfrecord");
            CollectionAssert.AreEqual(new[] { "cat", "dog", "eel" }, pipeline.Report.ClassNames.ToArray());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_TfdsKeysUnpackedLabels_ReadAndNamedZeroToN()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, _, _) = Write(folders, packed: false, imageKey: "image", labelKey: "label");
        try
        {
            using var source = new TFRecordSampleSource();
            var classBytes = await ShardTestData.ClassAndBytesAsync(source, root);
            var reference = new FolderSampleSource();
            var expected = (await ShardTestData.ClassAndBytesAsync(reference, folders.Root)).Select(s => s.Replace("cat ", "0 ").Replace("dog ", "1 ").Replace("eel ", "2 ")).Order(StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(expected, classBytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_ShardShufflePlanner_FilesAsShardsEverySampleOnce()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, _, _) = Write(folders);
        try
        {
            PipelineOptions options = ShardTestData.Options(batchSize: 4, epochs: 2);
            using var source = new TFRecordSampleSource();
            var seen = new List<SeenBatch>();
            ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).UsePlanner(ShardShufflePlanner.For(options, bufferSize: 1)).Build(b => seen.Add(SeenBatch.Copy(b)));
            pipeline.Post(root);
            pipeline.Complete();
            await pipeline.Completion;
            PipelineRunner.AssertNothingHeld(pipeline);
            foreach (int epoch in new[] { 0, 1 })
            {
                // Rows are shuffled within each batch; the batches follow the stream.
                int[] order = [.. seen.Where(b => b.Epoch == epoch).OrderBy(b => b.Index).SelectMany(b => b.SampleIndices.Order())];
                // A buffer of 1: one file's records in file order, then the other's.
                int[] firstThenSecond = [.. Enumerable.Range(0, 12)], secondThenFirst = [.. Enumerable.Range(7, 4), 0, 1, 2, 11, .. Enumerable.Range(3, 4)];
                Assert.IsTrue(order.SequenceEqual(firstThenSecond) || order.SequenceEqual(secondThenFirst), $"epoch {epoch}: {string.Join(",", order)}");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_BadDataCrc_RefusedNamingFileAndRecord()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, first, _) = Write(folders);
        try
        {
            // Record 0's data starts after its 12-byte header: damage one byte of it.
            ForeignFile.FlipBytes(first, [40]);
            using var source = new TFRecordSampleSource();
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([root], CancellationToken.None));
            StringAssert.StartsWith(e.Message, $"The TFRecord file '{first}' record 0 at offset 0 is damaged: the CRC of its ");
            StringAssert.Contains(e.Message, "bytes of data is 0x");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_BadLengthCrcAndTruncatedRecord_RefusedNamingFileAndRecord()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, first, second) = Write(folders);
        try
        {
            byte[] bytes = File.ReadAllBytes(second);
            long firstRecord = (long)BitConverter.ToUInt64(bytes, 0) + 16;
            long secondRecord = (long)BitConverter.ToUInt64(bytes, (int)firstRecord) + 16;
            File.WriteAllBytes(second, bytes[..(int)(firstRecord + secondRecord - 3)]);
            using var source = new TFRecordSampleSource();
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([second], CancellationToken.None));
            Assert.AreEqual($"The TFRecord file '{second}' record 1 at offset {firstRecord} is truncated: it holds {secondRecord - 16} bytes of data and a 4-byte CRC, {secondRecord - 12 - 3} bytes are there (the file ends at {firstRecord + secondRecord - 3}).", e.Message);

            ForeignFile.FlipBytes(first, [2]);
            e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => source.DiscoverAsync([first], CancellationToken.None));
            StringAssert.StartsWith(e.Message, $"The TFRecord file '{first}' record 0 at offset 0 is damaged: the CRC of its length (");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Discover_RecordsWithoutImageOrLabel_IgnoredWithTheReason()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, _) = FormatTestData.Rows(folders.Root);
        string file = Path.Combine(folders.Root + "-tfrecord", "train.tfrecord");
        FormatTestData.WriteTFRecordWithPython(file, [(rows[0].Path, 0), (null, 1), (rows[2].Path, null), (rows[3].Path, 2)]);
        try
        {
            using var source = new TFRecordSampleSource();
            SampleSet set = await source.DiscoverAsync([file], CancellationToken.None);
            CollectionAssert.AreEqual(new[] { file + "#0", file + "#3" }, set.Samples.Select(s => s.Id).ToArray());
            CollectionAssert.AreEqual(new[] { 0, 2 }, set.Samples.Select(s => s.Label).ToArray());
            CollectionAssert.AreEqual(new[] { $"{file}#1: no image feature (image/encoded, image): not read", $"{file}#2: no label feature (image/class/label, label): not read" },
                set.Ignored.Select(i => $"{i.Path}: {i.Reason}").ToArray());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [TestMethod]
    public async Task Read_RecordChangedAfterDiscovery_FailsNamingFileAndRecord()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (root, first, _) = Write(folders);
        try
        {
            using var source = new TFRecordSampleSource();
            SampleSet set = await source.DiscoverAsync([root], CancellationToken.None);
            ForeignFile.FlipBytes(first, [40]);
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(async () => await source.ReadAsync(set.Samples[0], new Dataflow.Pipeline.Memory.BufferPool(), CancellationToken.None));
            StringAssert.StartsWith(e.Message, $"The TFRecord file '{first}' record 0 at offset 0 has changed since discovery: the CRC of its ");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public void Crc32C_KnownVectors_MatchTheStandard()
    {
        // RFC 3720 B.4 and the CRC catalogue's check value.
        Assert.AreEqual(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.AreEqual(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.AreEqual(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.AreEqual(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }
}
