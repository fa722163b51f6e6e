using System.Text.Json;
using System.Text.Json.Nodes;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Coco;

/// <summary>A COCO dataset written for a test: real PNG images under <c>images/</c> and an annotation file built as JSON.</summary>
internal sealed class CocoFiles : IDisposable
{
    private readonly TempDataset _folder = new();

    private readonly string _images;

    /// <summary>Creates the folder, the images to go into <paramref name="images"/> under it.</summary>
    public CocoFiles(string images = "images")
    {
        _images = images;
        ImageRoot = Path.Combine(_folder.Root, images);
        Directory.CreateDirectory(ImageRoot);
    }

    public string Root => _folder.Root;

    public string ImageRoot { get; }

    public JsonArray Images { get; } = [];

    public JsonArray Annotations { get; } = [];

    public JsonArray Categories { get; } = [];

    /// <summary>Adds an image entry and writes its PNG (a pattern, or <paramref name="image"/>) into <see cref="ImageRoot"/>.</summary>
    public CocoFiles Image(long id, string fileName, int width, int height, Mat? image = null, bool write = true)
    {
        Images.Add(new JsonObject { ["id"] = id, ["file_name"] = fileName, ["width"] = width, ["height"] = height, ["license"] = 1 });
        if (write)
        {
            using Mat pattern = image is null ? TempDataset.Pattern(width, height, (int)id) : new Mat();
            _folder.Write(_images, fileName, image ?? pattern);
        }

        return this;
    }

    public CocoFiles Category(long id, string name, string[]? keypoints = null, int[][]? skeleton = null)
    {
        var category = new JsonObject { ["id"] = id, ["name"] = name, ["supercategory"] = "thing" };
        if (keypoints is not null)
        {
            category["keypoints"] = new JsonArray([.. keypoints.Select(k => (JsonNode)JsonValue.Create(k))]);
            category["skeleton"] = JsonSerializer.SerializeToNode(skeleton ?? []);
        }

        Categories.Add(category);
        return this;
    }

    /// <summary>Adds an annotation; <paramref name="extra"/> adds or replaces fields.</summary>
    public CocoFiles Annotation(long id, long imageId, long categoryId, double[] bbox, JsonObject? extra = null)
    {
        var annotation = new JsonObject
        {
            ["id"] = id, ["image_id"] = imageId, ["category_id"] = categoryId, ["iscrowd"] = 0,
            ["bbox"] = JsonSerializer.SerializeToNode(bbox, Options), ["area"] = bbox.Length == 4 ? bbox[2] * bbox[3] : 1,
        };
        foreach ((string key, JsonNode? value) in extra ?? [])
        {
            annotation[key] = value?.DeepClone();
        }

        Annotations.Add(annotation);
        return this;
    }

    /// <summary>Writes the annotation file and returns its path.</summary>
    public string Write(string name = "instances.json")
    {
        var file = new JsonObject
        {
            ["info"] = new JsonObject { ["description"] = "test" },
            ["licenses"] = new JsonArray(),
            ["images"] = Images.DeepClone(),
            ["annotations"] = Annotations.DeepClone(),
            ["categories"] = Categories.DeepClone(),
        };
        string path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, file.ToJsonString(Options));
        return path;
    }

    public void Dispose() => _folder.Dispose();

    // NaN is written as "NaN", the only way JSON can hold it.
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}
