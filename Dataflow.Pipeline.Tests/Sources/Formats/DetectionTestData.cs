using System.Globalization;
using System.Text.Json;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

/// <summary>One image of the detection fixture: its file, size, boxes (xyxy whole pixels) and their classes.</summary>
internal sealed record DetectionImage(string Name, string Path, int Width, int Height, int[] Boxes, int[] Classes)
{
    public int Count => Classes.Length;

    /// <summary>The per-image label the detection sources give: the class of the largest box, else the extra class.</summary>
    public int Label => Count == 0 ? DetectionTestData.Classes.Length
        : Classes[Enumerable.Range(0, Count).MaxBy(k => (Boxes[4 * k + 2] - Boxes[4 * k]) * (Boxes[4 * k + 3] - Boxes[4 * k + 1]))];
}

/// <summary>
/// A small detection dataset (PNG images of several sizes, a filled rectangle drawn in each box, several boxes per image
/// and one image without any) and the published forms it is written in by other tools than the readers: COCO, YOLO and
/// VOC by hand, Parquet by DuckDB, TFRecord by Python's protobuf, WebDataset shards by GNU tar.
/// </summary>
internal static class DetectionTestData
{
    public static readonly string[] Classes = ["cat", "dog", "eel"];

    public static readonly PipelineOptions Options = new()
    {
        Width = 32, Height = 24, BatchSize = 4, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.None, Layout = TensorLayout.Nhwc,
    };

    /// <summary>Writes the images into <paramref name="folder"/>.</summary>
    public static List<DetectionImage> WriteImages(string folder)
    {
        Directory.CreateDirectory(folder);
        (string Name, int W, int H, int[] Boxes, int[] Classes)[] specs =
        [
            ("a", 64, 48, [4, 6, 20, 30, 30, 10, 60, 40], [0, 1]),
            ("b", 80, 60, [0, 0, 20, 15, 40, 20, 79, 59, 10, 30, 35, 55], [1, 2, 0]),
            ("c", 50, 40, [], []),
            ("d", 72, 54, [12, 8, 60, 50], [2]),
        ];
        var images = new List<DetectionImage>();
        for (int i = 0; i < specs.Length; i++)
        {
            var (name, w, h, boxes, classes) = specs[i];
            using var image = new Mat(h, w, MatType.CV_8UC3);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    image.Set(y, x, new Vec3b((byte)(x * 3 + i * 40), (byte)(y * 4), (byte)((x ^ y) * 5)));
                }
            }

            for (int k = 0; k < classes.Length; k++)
            {
                var colour = classes[k] switch { 0 => new Scalar(0, 0, 255), 1 => new Scalar(0, 255, 0), _ => new Scalar(255, 0, 0) };
                Cv2.Rectangle(image, new Rect(boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2] - boxes[4 * k], boxes[4 * k + 3] - boxes[4 * k + 1]), colour, -1);
            }

            string path = System.IO.Path.Combine(folder, name + ".png");
            Assert.IsTrue(Cv2.ImWrite(path, image), path);
            images.Add(new DetectionImage(name, path, w, h, boxes, classes));
        }

        return images;
    }

    /// <summary>The huggingface metadata of a detection dataset: an Image and a Sequence of {bbox, category (ClassLabel), area, id}.</summary>
    public static string HuggingFaceMetadata() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["info"] = new Dictionary<string, object>
        {
            ["features"] = new Dictionary<string, object>
            {
                ["image"] = new Dictionary<string, object> { ["_type"] = "Image" },
                ["objects"] = new Dictionary<string, object>
                {
                    ["feature"] = new Dictionary<string, object>
                    {
                        ["id"] = new Dictionary<string, object> { ["dtype"] = "int64", ["_type"] = "Value" },
                        ["area"] = new Dictionary<string, object> { ["dtype"] = "int64", ["_type"] = "Value" },
                        ["bbox"] = new Dictionary<string, object> { ["feature"] = new Dictionary<string, object> { ["dtype"] = "float32", ["_type"] = "Value" }, ["length"] = 4, ["_type"] = "Sequence" },
                        ["category"] = new Dictionary<string, object> { ["names"] = Classes, ["_type"] = "ClassLabel" },
                    },
                    ["_type"] = "Sequence",
                },
            },
        },
    });

    /// <summary>
    /// Writes the images as a Hugging Face detection Parquet file with DuckDB: <c>image {bytes, path}</c> and
    /// <c>objects {id, area, bbox (COCO xywh), category}</c>, as a struct of lists or (<paramref name="listOfStructs"/>) a list of structs.
    /// </summary>
    public static void WriteParquet(string file, IReadOnlyList<DetectionImage> images, bool listOfStructs = false, Func<DetectionImage, int, float[]>? bboxOf = null, string? huggingface = null)
    {
        var rows = images.Select((image, i) => new Dictionary<string, object>
        {
            ["path"] = image.Path,
            ["objects"] = new Dictionary<string, object>
            {
                ["id"] = Enumerable.Range(0, image.Count).Select(k => 100 * i + k).ToArray(),
                ["area"] = Enumerable.Range(0, image.Count).Select(k => (image.Boxes[4 * k + 2] - image.Boxes[4 * k]) * (image.Boxes[4 * k + 3] - image.Boxes[4 * k + 1])).ToArray(),
                ["bbox"] = Enumerable.Range(0, image.Count).Select(k => bboxOf?.Invoke(image, k) ?? Xywh(image, k)).ToArray(),
                ["category"] = image.Classes,
            },
        }).ToArray();
        string spec = file + ".spec.json";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(spec, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["out"] = file,
            ["rowGroupSize"] = 3,
            ["huggingface"] = huggingface ?? HuggingFaceMetadata(),
            ["listOfStructs"] = listOfStructs,
            ["rows"] = rows,
        }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        try
        {
            FormatTestData.RequireDuckDb();
            FormatTestData.Run("node", System.IO.Path.Combine(AppContext.BaseDirectory, "Sources", "Formats", "duckdb-write-parquet.cjs"), Dataflow.Tools.Storage.ServerProcess.ToolsFolder(), spec);
        }
        finally
        {
            File.Delete(spec);
        }
    }

    /// <summary>
    /// Writes the images as a TFRecord file in the TF Object Detection API's layout (Python's protobuf): normalized
    /// <c>image/object/bbox/*</c>, 1-based <c>image/object/class/label</c> (+ <paramref name="labelBase"/> - 1), the class text, the image's size.
    /// </summary>
    public static void WriteTFRecord(string file, IReadOnlyList<DetectionImage> images, int labelBase = 1, Func<DetectionImage, Dictionary<string, object>, Dictionary<string, object>>? edit = null)
    {
        var records = images.Select(image =>
        {
            int n = image.Count;
            var features = new Dictionary<string, object>
            {
                ["image/height"] = new Dictionary<string, object> { ["int64"] = new[] { image.Height } },
                ["image/width"] = new Dictionary<string, object> { ["int64"] = new[] { image.Width } },
                ["image/object/bbox/xmin"] = new Dictionary<string, object> { ["float"] = Enumerable.Range(0, n).Select(k => (double)image.Boxes[4 * k] / image.Width).ToArray() },
                ["image/object/bbox/ymin"] = new Dictionary<string, object> { ["float"] = Enumerable.Range(0, n).Select(k => (double)image.Boxes[4 * k + 1] / image.Height).ToArray() },
                ["image/object/bbox/xmax"] = new Dictionary<string, object> { ["float"] = Enumerable.Range(0, n).Select(k => (double)image.Boxes[4 * k + 2] / image.Width).ToArray() },
                ["image/object/bbox/ymax"] = new Dictionary<string, object> { ["float"] = Enumerable.Range(0, n).Select(k => (double)image.Boxes[4 * k + 3] / image.Height).ToArray() },
                ["image/object/class/label"] = new Dictionary<string, object> { ["int64"] = image.Classes.Select(c => c + labelBase).ToArray() },
                ["image/object/class/text"] = new Dictionary<string, object> { ["bytes"] = image.Classes.Select(c => Classes[c]).ToArray() },
            };
            return new Dictionary<string, object?>
            {
                ["path"] = image.Path, ["label"] = null, ["filename"] = System.IO.Path.GetFileName(image.Path),
                ["features"] = edit is null ? features : edit(image, features),
            };
        }).ToArray();
        FormatTestData.WriteTFRecordRecords(file, records);
    }

    /// <summary>Box k of <paramref name="image"/> as COCO's [x, y, width, height].</summary>
    public static float[] Xywh(DetectionImage image, int k) =>
        [image.Boxes[4 * k], image.Boxes[4 * k + 1], image.Boxes[4 * k + 2] - image.Boxes[4 * k], image.Boxes[4 * k + 3] - image.Boxes[4 * k + 1]];

    /// <summary>Runs <paramref name="source"/> over <paramref name="root"/> with <see cref="Options"/>: each batch with its pixels.</summary>
    public static async Task<(List<(Batch Batch, byte[] Pixels)> Batches, ImagePipeline Pipeline)> RunAsync(ISampleSource source, string root, PipelineOptions? options = null)
    {
        var batches = new List<(Batch, byte[])>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options ?? Options).UseSource(source).Build(b =>
        {
            // The image tensor goes back to the pool after the callback; the targets and paths stay readable.
            batches.Add((b, [.. SeenBatch.Copy(b).Data.Select(v => (byte)v)]));
        });
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        return (batches, pipeline);
    }

    /// <summary>
    /// Asserts that the batches hold <paramref name="images"/> in order: ids (<paramref name="idOf"/>), labels, pixels
    /// (OpenCV's own decode and resize of the PNG), and each box, in output pixels, within <paramref name="tolerance"/>
    /// pixels of the drawn box scaled to the output, with its class (the mapping to output pixels is float arithmetic: 1e-4 for a form that stores the pixels exactly).
    /// </summary>
    public static void AssertBatches(IReadOnlyList<(Batch Batch, byte[] Pixels)> batches, IReadOnlyList<DetectionImage> images, Func<int, string> idOf, float tolerance, string what, PipelineOptions? options = null)
    {
        options ??= Options;
        int w = options.Width, h = options.Height, row = 0;
        Assert.AreEqual(images.Count, batches.Sum(b => b.Batch.Labels.Length), what);
        foreach ((Batch batch, byte[] pixels) in batches)
        {
            for (int r = 0; r < batch.Labels.Length; r++, row++)
            {
                DetectionImage image = images[row];
                string at = $"{what}: sample {row} ({image.Name})";
                Assert.AreEqual(idOf(row), batch.Paths[r], at);
                Assert.AreEqual(image.Label, batch.Labels[r], at + ": label");
                using (Mat expected = ReferenceImages.DecodeResize(image.Path, w, h))
                {
                    CollectionAssert.AreEqual(ReferenceImages.Bytes(expected), pixels.AsSpan(r * w * h * 3, w * h * 3).ToArray(), at + ": pixels");
                }

                ReadOnlySpan<float> boxes = batch.Targets!.RowBoxes(r);
                CollectionAssert.AreEqual(image.Classes, batch.Targets.RowClasses(r).ToArray(), at + ": classes");
                Assert.AreEqual(4 * image.Count, boxes.Length, at + ": boxes");
                for (int c = 0; c < boxes.Length; c++)
                {
                    float scale = c % 2 == 0 ? (float)w / image.Width : (float)h / image.Height;
                    Assert.AreEqual(image.Boxes[c] * scale, boxes[c], tolerance, string.Create(CultureInfo.InvariantCulture, $"{at}: box {c / 4} number {c % 4}"));
                }
            }
        }
    }

    /// <summary>A COCO folder: annotations/instances_train.json (categories 1..3) and the images in train/.</summary>
    public static string WriteCoco(string folder, IReadOnlyList<DetectionImage> images)
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
                ["id"] = annotation++, ["image_id"] = i + 1, ["category_id"] = image.Classes[k] + 1, ["bbox"] = Xywh(image, k),
                ["area"] = Xywh(image, k)[2] * Xywh(image, k)[3], ["iscrowd"] = 0,
            })).ToArray(),
            ["categories"] = Classes.Select((name, c) => new Dictionary<string, object> { ["id"] = c + 1, ["name"] = name }).ToArray(),
        };
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(train, image.Name + ".png"));
        }

        File.WriteAllText(Path.Combine(folder, "annotations", "instances_train.json"), JsonSerializer.Serialize(json));
        return folder;
    }

    /// <summary>A YOLO folder: data.yaml, images/train/ and a label file per image with boxes (the negative has none).</summary>
    public static string WriteYolo(string folder, IReadOnlyList<DetectionImage> images)
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
    public static string WriteVoc(string folder, IReadOnlyList<DetectionImage> images)
    {
        Directory.CreateDirectory(Path.Combine(folder, "Annotations"));
        Directory.CreateDirectory(Path.Combine(folder, "JPEGImages"));
        foreach (DetectionImage image in images)
        {
            File.Copy(image.Path, Path.Combine(folder, "JPEGImages", image.Name + ".png"));
            string objects = string.Concat(Enumerable.Range(0, image.Count).Select(k =>
                $"<object><name>{Classes[image.Classes[k]]}</name><difficult>0</difficult><bndbox><xmin>{image.Boxes[4 * k] + 1}</xmin><ymin>{image.Boxes[4 * k + 1] + 1}</ymin><xmax>{image.Boxes[4 * k + 2]}</xmax><ymax>{image.Boxes[4 * k + 3]}</ymax></bndbox></object>"));
            File.WriteAllText(Path.Combine(folder, "Annotations", image.Name + ".xml"),
                $"<annotation><filename>{image.Name}.png</filename><size><width>{image.Width}</width><height>{image.Height}</height><depth>3</depth></size>{objects}</annotation>");
        }

        return folder;
    }

    /// <summary>A WebDataset shard made by GNU tar from key.png and key.json (torchvision's target: boxes in xyxy pixels, labels).</summary>
    public static string WriteShard(string folder, IReadOnlyList<DetectionImage> images)
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
