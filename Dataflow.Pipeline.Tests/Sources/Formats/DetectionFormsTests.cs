using System.Globalization;
using System.Text.Json;
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
        string coco = WriteCoco(Path.Combine(root, "coco"), images);
        string yolo = WriteYolo(Path.Combine(root, "yolo"), images);
        string voc = WriteVoc(Path.Combine(root, "voc"), images);
        string parquet = Path.Combine(root, "parquet", "train.parquet");
        DetectionTestData.WriteParquet(parquet, images);
        string tfrecord = Path.Combine(root, "tfrecord", "train.tfrecord");
        DetectionTestData.WriteTFRecord(tfrecord, images);
        string shard = WriteShard(Path.Combine(root, "wds"), images);

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

    /// <summary>A COCO folder: annotations/instances_train.json (categories 1..3) and the images in train/.</summary>
    private static string WriteCoco(string folder, IReadOnlyList<DetectionImage> images)
    {
        string train = Path.Combine(folder, "train");
        Directory.CreateDirectory(train);
        Directory.CreateDirectory(Path.Combine(folder, "annotations"));
        int annotation = 1;
        var json = new Dictionary<string, object>
        {
            ["images"] = images.Select((image, i) => new Dictionary<string, object> { ["id"] = i + 1, ["file_name"] = image.Name + ".png", ["width"] = image.Width, ["height"] = image.Height }).ToArray(),
            ["annotations"] = images.SelectMany((image, i) => Enumerable.Range(0, image.Count).Select(k => new Dictionary<string, object>
            {
                ["id"] = annotation++, ["image_id"] = i + 1, ["category_id"] = image.Classes[k] + 1, ["bbox"] = DetectionTestData.Xywh(image, k),
                ["area"] = DetectionTestData.Xywh(image, k)[2] * DetectionTestData.Xywh(image, k)[3], ["iscrowd"] = 0,
            })).ToArray(),
            ["categories"] = DetectionTestData.Classes.Select((name, c) => new Dictionary<string, object> { ["id"] = c + 1, ["name"] = name }).ToArray(),
        };
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(train, image.Name + ".png"));
        }

        File.WriteAllText(Path.Combine(folder, "annotations", "instances_train.json"), JsonSerializer.Serialize(json));
        return folder;
    }

    /// <summary>A YOLO folder: data.yaml, images/train/ and a label file per image with boxes (the negative has none).</summary>
    private static string WriteYolo(string folder, IReadOnlyList<DetectionImage> images)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images", "train"));
        Directory.CreateDirectory(Path.Combine(folder, "labels", "train"));
        File.WriteAllText(Path.Combine(folder, "data.yaml"), "path: .\ntrain: images/train\nnames: [cat, dog, eel]\n");
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(folder, "images", "train", image.Name + ".png"));
            if (image.Count == 0)
            {
                continue;
            }

            // As Ultralytics' converters write them: %g, 6 significant digits.
            string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
            IEnumerable<string> lines = Enumerable.Range(0, image.Count).Select(k =>
            {
                int[] b = image.Boxes[(4 * k)..(4 * k + 4)];
                return $"{image.Classes[k]} {G((b[0] + b[2]) / 2.0 / image.Width)} {G((b[1] + b[3]) / 2.0 / image.Height)} {G((double)(b[2] - b[0]) / image.Width)} {G((double)(b[3] - b[1]) / image.Height)}";
            });
            File.WriteAllLines(Path.Combine(folder, "labels", "train", image.Name + ".txt"), lines);
        }

        return folder;
    }

    /// <summary>A VOC folder: Annotations/*.xml (1-based pixel numbers, both ends inside the box) and JPEGImages/.</summary>
    private static string WriteVoc(string folder, IReadOnlyList<DetectionImage> images)
    {
        Directory.CreateDirectory(Path.Combine(folder, "Annotations"));
        Directory.CreateDirectory(Path.Combine(folder, "JPEGImages"));
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(folder, "JPEGImages", image.Name + ".png"));
            string objects = string.Concat(Enumerable.Range(0, image.Count).Select(k =>
                $"<object><name>{DetectionTestData.Classes[image.Classes[k]]}</name><difficult>0</difficult><bndbox><xmin>{image.Boxes[4 * k] + 1}</xmin><ymin>{image.Boxes[4 * k + 1] + 1}</ymin><xmax>{image.Boxes[4 * k + 2]}</xmax><ymax>{image.Boxes[4 * k + 3]}</ymax></bndbox></object>"));
            File.WriteAllText(Path.Combine(folder, "Annotations", image.Name + ".xml"),
                $"<annotation><filename>{image.Name}.png</filename><size><width>{image.Width}</width><height>{image.Height}</height><depth>3</depth></size>{objects}</annotation>");
        }

        return folder;
    }

    /// <summary>A WebDataset shard made by GNU tar from key.png and key.json (torchvision's target: boxes in xyxy pixels, labels).</summary>
    private static string WriteShard(string folder, IReadOnlyList<DetectionImage> images)
    {
        string members = folder + "-members";
        Directory.CreateDirectory(members);
        Directory.CreateDirectory(folder);
        var names = new List<string>();
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(members, image.Name + ".png"));
            File.WriteAllText(Path.Combine(members, image.Name + ".json"), JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["boxes"] = Enumerable.Range(0, image.Count).Select(k => image.Boxes[(4 * k)..(4 * k + 4)]).ToArray(),
                ["labels"] = image.Classes,
                ["source"] = image.Name,
            }));
            names.Add(image.Name + ".png");
            names.Add(image.Name + ".json");
        }

        string shard = Path.Combine(folder, "shard-000000.tar");
        FormatTestData.Run("tar", ["--format=gnu", "-cf", shard, "-C", members, .. names]);
        return shard;
    }
}
