using System.Globalization;
using System.Text.Json;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The boxes of a WebDataset sample's <c>json</c> field, in the layout of a torchvision detection target:
/// <c>{"boxes": [[x1, y1, x2, y2], ...], "labels": [class, ...], "box_format": "xyxy", "iscrowd": [0, ...]}</c>.
/// </summary>
/// <remarks><c>boxes</c> are four numbers each, in <c>box_format</c> (one of <see cref="BoxFormat.Names"/>; <c>xyxy</c> pixels,
/// torchvision's, when absent); <c>labels</c> one class index per box, into the dataset's classes; <c>iscrowd</c> (0 or 1 per box)
/// is optional, and so is <c>fields</c>, more integer fields of one value per box (<c>{"difficult": [0, 1]}</c>). Other keys
/// are passed over (the whole text is the sample's text too).</remarks>
internal static class ShardBoxes
{
    /// <summary>True when <paramref name="json"/> is a JSON object with a <c>boxes</c> key.</summary>
    public static bool HasBoxes(string? json)
    {
        if (json is null || !json.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("boxes", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The boxes of a json field that has them (<see cref="HasBoxes"/>).</summary>
    /// <exception cref="InvalidDataException">A box, label, flag or the format is malformed; the message names the sample and the box.</exception>
    public static BoundingBoxes Parse(string json, string id)
    {
        string where = $"The sample '{id}'";
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        BoxFormat format = BoxFormat.Xyxy;
        if (root.TryGetProperty("box_format", out JsonElement formatText))
        {
            format = formatText.ValueKind == JsonValueKind.String && BoxFormat.Names.Contains(formatText.GetString()!.ToLowerInvariant())
                ? BoxFormat.Parse(formatText.GetString()!)
                : throw new InvalidDataException($"{where} has box_format {formatText.GetRawText()} in its json field; one of {string.Join(", ", BoxFormat.Names)}.");
        }

        JsonElement boxes = root.GetProperty("boxes");
        if (boxes.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{where} has boxes {Shorten(boxes)} in its json field: a list of boxes of 4 numbers.");
        }

        int n = boxes.GetArrayLength();
        int[] classes = Integers(root, "labels", n, where, required: true)!;
        int[]? crowd = Integers(root, "iscrowd", n, where, required: false);
        var coordinates = new float[4 * n];
        int k = 0;
        foreach (JsonElement box in boxes.EnumerateArray())
        {
            if (box.ValueKind != JsonValueKind.Array || box.GetArrayLength() != 4 || box.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
            {
                throw new InvalidDataException($"{where} has box {k} {Shorten(box)} in its json field: a box is 4 numbers ({format}).");
            }

            int c = 0;
            foreach (JsonElement value in box.EnumerateArray())
            {
                coordinates[4 * k + c++] = value.GetSingle();
            }

            (float w, float h) = format.Extent(coordinates.AsSpan(4 * k, 4));
            if (!float.IsFinite(coordinates[4 * k]) || !float.IsFinite(coordinates[4 * k + 1]) || !float.IsFinite(coordinates[4 * k + 2]) || !float.IsFinite(coordinates[4 * k + 3]) || w < 0 || h < 0)
            {
                throw new InvalidDataException($"{where} has box {k} {Shorten(box)} in its json field: not finite, or a negative width or height ({format}).");
            }

            if (crowd is not null && crowd[k] > 1)
            {
                throw new InvalidDataException($"{where} has iscrowd {crowd[k]} for box {k} in its json field: 0 or 1.");
            }

            k++;
        }

        var fields = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (crowd is not null)
        {
            fields["iscrowd"] = crowd;
        }

        if (root.TryGetProperty("fields", out JsonElement more) && more.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty field in more.EnumerateObject())
            {
                fields[field.Name] = Integers(more, field.Name, n, where, required: false)!;
            }
        }

        return n == 0 ? BoundingBoxes.Empty : new BoundingBoxes(coordinates, classes, format, fields);
    }

    private static int[]? Integers(JsonElement root, string name, int n, string where, bool required)
    {
        if (!root.TryGetProperty(name, out JsonElement list))
        {
            return required ? throw new InvalidDataException($"{where} has {n} boxes and no {name} in its json field: one class index per box.") : null;
        }

        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() != n)
        {
            throw new InvalidDataException($"{where} has {n} boxes and {name} {Shorten(list)} in its json field: one {(required ? "class index" : "value")} per box.");
        }

        var values = new int[n];
        int k = 0;
        foreach (JsonElement value in list.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out values[k]) || values[k] < 0)
            {
                throw new InvalidDataException($"{where} has {name}[{k}] {Shorten(value)} in its json field: an integer from 0.");
            }

            k++;
        }

        return values;
    }

    private static string Shorten(JsonElement element)
    {
        string text = element.GetRawText();
        return text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
    }

    /// <summary>The json field of boxes, as the shard source reads it (for writers of shards).</summary>
    internal static string Write(BoundingBoxes boxes)
    {
        var text = new System.Text.StringBuilder("{\"boxes\": [");
        ReadOnlySpan<float> c = boxes.Coordinates;
        for (int k = 0; k < boxes.Count; k++)
        {
            text.Append(k == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"[{c[4 * k]:R}, {c[4 * k + 1]:R}, {c[4 * k + 2]:R}, {c[4 * k + 3]:R}]");
        }

        text.Append("], \"labels\": [").AppendJoin(", ", boxes.Classes.ToArray()).Append("], \"box_format\": \"").Append(boxes.Format.ToString()).Append('"');
        if (boxes.FieldNames.Contains("iscrowd"))
        {
            text.Append(", \"iscrowd\": [").AppendJoin(", ", boxes.Field("iscrowd").ToArray()).Append(']');
        }

        string[] others = [.. boxes.FieldNames.Where(f => f != "iscrowd")];
        if (others.Length > 0)
        {
            text.Append(", \"fields\": {").AppendJoin(", ", others.Select(f => JsonSerializer.Serialize(f, ShardBoxesJson.Default.String) + ": [" + string.Join(", ", boxes.Field(f).ToArray()) + "]")).Append('}');
        }

        return text.Append('}').ToString();
    }
}

/// <summary>Source-generated JSON for the field names written (trimming- and AOT-safe).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ShardBoxesJson : System.Text.Json.Serialization.JsonSerializerContext;
