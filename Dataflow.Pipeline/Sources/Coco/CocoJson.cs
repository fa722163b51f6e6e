using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dataflow.Pipeline.Sources;

/// <summary>A COCO instances file as written (<c>instances_*.json</c>, <c>person_keypoints_*.json</c>): what is read of it.</summary>
/// <remarks>Fields the reader does not use (<c>info</c>, <c>licenses</c>, an image's <c>coco_url</c> …) are skipped unread.
/// Required fields are nullable here so that a missing one is named by <see cref="CocoDataset"/> with its annotation.</remarks>
internal sealed class CocoFileJson
{
    [JsonPropertyName("images")]
    public List<CocoImageJson>? Images { get; set; }

    [JsonPropertyName("annotations")]
    public List<CocoAnnotationJson>? Annotations { get; set; }

    [JsonPropertyName("categories")]
    public List<CocoCategoryJson>? Categories { get; set; }
}

/// <summary>One entry of <c>images</c>.</summary>
internal sealed class CocoImageJson
{
    [JsonPropertyName("id")]
    public long? Id { get; set; }

    [JsonPropertyName("file_name")]
    public string? FileName { get; set; }

    [JsonPropertyName("width")]
    public int? Width { get; set; }

    [JsonPropertyName("height")]
    public int? Height { get; set; }
}

/// <summary>One entry of <c>annotations</c>.</summary>
internal sealed class CocoAnnotationJson
{
    [JsonPropertyName("id")]
    public long? Id { get; set; }

    [JsonPropertyName("image_id")]
    public long? ImageId { get; set; }

    [JsonPropertyName("category_id")]
    public long? CategoryId { get; set; }

    /// <summary>[x, y, width, height] in pixels, from the image's top-left corner.</summary>
    [JsonPropertyName("bbox")]
    public float[]? Bbox { get; set; }

    [JsonPropertyName("iscrowd")]
    public int IsCrowd { get; set; }

    [JsonPropertyName("area")]
    public double? Area { get; set; }

    [JsonPropertyName("segmentation")]
    [JsonConverter(typeof(CocoSegmentationConverter))]
    public CocoSegmentation? Segmentation { get; set; }

    /// <summary>[x1, y1, v1, x2, y2, v2, …], one triple per keypoint of the category.</summary>
    [JsonPropertyName("keypoints")]
    public float[]? Keypoints { get; set; }

    [JsonPropertyName("num_keypoints")]
    public int? NumKeypoints { get; set; }
}

/// <summary>One entry of <c>categories</c>.</summary>
internal sealed class CocoCategoryJson
{
    [JsonPropertyName("id")]
    public long? Id { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("supercategory")]
    public string? Supercategory { get; set; }

    [JsonPropertyName("keypoints")]
    public string[]? Keypoints { get; set; }

    /// <summary>Pairs of keypoint numbers, from 1.</summary>
    [JsonPropertyName("skeleton")]
    public int[][]? Skeleton { get; set; }
}

/// <summary>
/// An annotation's <c>segmentation</c>: polygons (<c>[[x1, y1, x2, y2, …], …]</c>), or a run-length encoding
/// (<c>{"counts": [...] | "...", "size": [h, w]}</c>) with its counts as an array (uncompressed) or a string (compressed).
/// </summary>
/// <remarks>The converter keeps what it found as it is; whether it is valid (even lengths, counts that cover the image) is
/// checked with the annotation's id by <see cref="CocoDataset"/>.</remarks>
internal sealed class CocoSegmentation
{
    /// <summary>The polygons, or null for a run-length encoding.</summary>
    public float[][]? Polygons { get; init; }

    /// <summary>The uncompressed counts, or null.</summary>
    public uint[]? Counts { get; init; }

    /// <summary>The compressed counts, or null.</summary>
    public string? CompressedCounts { get; init; }

    /// <summary>The run-length encoding's <c>size</c> ([height, width]), or null.</summary>
    public int[]? Size { get; init; }

    /// <summary>Why the value is no segmentation COCO defines, or null.</summary>
    public string? Problem { get; init; }

    /// <summary>True for a run-length encoding.</summary>
    public bool IsRle => Polygons is null && Problem is null;
}

/// <summary>Reads a <see cref="CocoSegmentation"/>; a value of the wrong shape becomes its <see cref="CocoSegmentation.Problem"/>.</summary>
internal sealed class CocoSegmentationConverter : JsonConverter<CocoSegmentation>
{
    public override CocoSegmentation? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartArray:
                return ReadPolygons(ref reader);
            case JsonTokenType.StartObject:
                return ReadRle(ref reader);
            default:
                string kind = reader.TokenType.ToString().ToLowerInvariant();
                reader.Skip();
                return new CocoSegmentation { Problem = $"segmentation is a {kind}, not a list of polygons or a run-length encoding" };
        }
    }

    public override void Write(Utf8JsonWriter writer, CocoSegmentation value, JsonSerializerOptions options) =>
        throw new NotSupportedException("COCO segmentations are read only.");

    private static CocoSegmentation ReadPolygons(ref Utf8JsonReader reader)
    {
        var polygons = new List<float[]>();
        var points = new List<float>();
        string? problem = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                problem ??= reader.TokenType == JsonTokenType.Number
                    ? "segmentation is a flat list of numbers, not a list of polygons ([[x1, y1, x2, y2, ...], ...])"
                    : $"segmentation polygon {polygons.Count + 1} is a {reader.TokenType.ToString().ToLowerInvariant()}, not a list of numbers";
                reader.Skip();
                continue;
            }

            points.Clear();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Number)
                {
                    points.Add(reader.GetSingle());
                }
                else
                {
                    problem ??= $"segmentation polygon {polygons.Count + 1} holds a {reader.TokenType.ToString().ToLowerInvariant()}, not only numbers";
                    reader.Skip();
                }
            }

            polygons.Add([.. points]);
        }

        return new CocoSegmentation { Polygons = problem is null ? [.. polygons] : null, Problem = problem };
    }

    private static CocoSegmentation ReadRle(ref Utf8JsonReader reader)
    {
        uint[]? counts = null;
        string? compressed = null;
        int[]? size = null;
        string? problem = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string? name = reader.GetString();
            reader.Read();
            if (name == "counts" && reader.TokenType == JsonTokenType.String)
            {
                compressed = reader.GetString();
            }
            else if (name == "counts" && reader.TokenType == JsonTokenType.StartArray)
            {
                var list = new List<uint>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out uint count))
                    {
                        list.Add(count);
                    }
                    else
                    {
                        problem ??= "RLE counts hold a value that is not a whole number from 0";
                        reader.Skip();
                    }
                }

                counts = [.. list];
            }
            else if (name == "size" && reader.TokenType == JsonTokenType.StartArray)
            {
                var list = new List<int>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int side))
                    {
                        list.Add(side);
                    }
                    else
                    {
                        problem ??= "RLE size holds a value that is not a whole number";
                        reader.Skip();
                    }
                }

                size = [.. list];
            }
            else
            {
                if (name is "counts" or "size")
                {
                    problem ??= $"RLE {name} is a {reader.TokenType.ToString().ToLowerInvariant()}";
                }

                reader.Skip();
            }
        }

        if (counts is null && compressed is null)
        {
            problem ??= "RLE has no counts";
        }

        if (size is not { Length: 2 })
        {
            problem ??= "RLE size is not [height, width]";
        }

        return new CocoSegmentation { Counts = counts, CompressedCounts = compressed, Size = size, Problem = problem };
    }
}

/// <summary>The COCO file's contract, generated at build time (no reflection).</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(CocoFileJson))]
internal sealed partial class CocoJsonContext : JsonSerializerContext;
