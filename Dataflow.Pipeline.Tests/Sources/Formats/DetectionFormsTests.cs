using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

/// <summary>One detection dataset written in every published form the library reads gives the same batches in each.</summary>
[TestClass]
public sealed class DetectionFormsTests
{
    [TestMethod]
    public async Task Run_SameDetectionDataInEveryForm_SameIdsLabelsPixelsAndBoxes()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        string root = data.Root;
        string coco = DetectionTestData.WriteCoco(Path.Combine(root, "coco"), images);
        string yolo = DetectionTestData.WriteYolo(Path.Combine(root, "yolo"), images);
        string voc = DetectionTestData.WriteVoc(Path.Combine(root, "voc"), images);
        string parquet = Path.Combine(root, "parquet", "train.parquet");
        DetectionTestData.WriteParquet(parquet, images);
        string tfrecord = Path.Combine(root, "tfrecord", "train.tfrecord");
        DetectionTestData.WriteTFRecord(tfrecord, images);
        string shard = DetectionTestData.WriteShard(Path.Combine(root, "wds"), images);

        // Each form, its reader, the id it gives sample i, and how near its boxes can be to the drawn ones: COCO, VOC,
        // Parquet and the shards' json hold whole pixels exactly; TFRecord holds float32 fractions of the image's size;
        // YOLO's text holds fractions to 6 significant digits (5e-7 of a side per number, at most 8e-5 pixel here). The
        // mapping to output pixels is float arithmetic in every form (1e-4).
        (string Form, ISampleSource Source, string Root, Func<int, string> IdOf, float Tolerance)[] forms =
        [
            ("COCO", new CocoSampleSource(), coco, i => Path.Combine(coco, "train", images[i].Name + ".png"), 1e-4f),
            ("YOLO", new YoloSampleSource(), yolo, i => Path.Combine(yolo, "images", "train", images[i].Name + ".png"), 2e-4f),
            ("VOC", new VocSampleSource(classNames: DetectionTestData.Classes), voc, i => Path.Combine(voc, "JPEGImages", images[i].Name + ".png"), 1e-4f),
            ("Parquet", new ParquetSampleSource(), parquet, i => parquet + "#" + i, 1e-4f),
            ("TFRecord", new TFRecordSampleSource(), tfrecord, i => tfrecord + "#" + i, 1e-4f),
            ("WebDataset", new ShardSampleSource(new ShardSourceOptions { ClassNames = DetectionTestData.Classes }), shard, i => shard + "/" + images[i].Name + ".png", 1e-4f),
        ];
        byte[]? firstPixels = null;
        foreach (var (form, source, formRoot, idOf, tolerance) in forms)
        {
            var (batches, pipeline) = await DetectionTestData.RunAsync(source, formRoot);
            await using (pipeline)
            {
                CollectionAssert.AreEqual(new[] { "cat", "dog", "eel", "(no object)" }, pipeline.Report.ClassNames.ToArray(), form);
                Assert.IsEmpty(pipeline.Report.Skipped, form);
                DetectionTestData.AssertBatches(batches, images, idOf, tolerance, form);
                byte[] pixels = [.. batches.SelectMany(b => b.Pixels)];
                firstPixels ??= pixels;
                CollectionAssert.AreEqual(firstPixels, pixels, $"{form}: the pixels of the first form");
                CollectionAssert.AreEqual(new[] { 2, 3, 0, 1 }, batches.SelectMany(b => b.Batch.Targets!.Counts).ToArray(), $"{form}: boxes per image");
            }

            (source as IDisposable)?.Dispose();
        }
    }
}
