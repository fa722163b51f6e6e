using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The index written beside a set of tar shards (<see cref="FileName"/>): the class names, and per shard its file
/// name, sample count, byte size, SHA-256 and members (key, image field, label, data offset and length). With it a
/// run starts without reading any shard, and a shard that changed since is detected by its size or hash.
/// </summary>
public sealed class ShardIndex
{
    /// <summary>The index's file name beside the shards.</summary>
    public const string FileName = "dataset-index.json";

    /// <summary>The format name written in <see cref="Format"/>.</summary>
    public const string FormatName = "dataflow-pipeline/shards";

    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The format name; <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>The shards, in order.</summary>
    public IReadOnlyList<ShardIndexEntry> Shards { get; init; } = [];

    /// <summary>Writes the index as indented JSON.</summary>
    public void Save(Stream stream) => JsonSerializer.Serialize(stream, this, ShardIndexJson.Default.ShardIndex);

    /// <summary>Reads an index; <paramref name="where"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The file is not a shard index of a version this library reads.</exception>
    /// <remarks>
    /// Read as a JSON document walked by hand rather than by the serializer: the serializer's readers for these types
    /// (records with constructors, int and long properties) are generic code compiled at run time, tens of milliseconds
    /// before a shard run's first batch. Property names are matched exactly; unknown properties are ignored.
    /// </remarks>
    public static ShardIndex Load(Stream stream, string where)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ShardIndex? index;
        try
        {
            using JsonDocument document = JsonDocument.Parse(stream);
            index = Read(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The shard index '{where}' is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"The shard index '{where}' holds a value of the wrong kind: {e.Message}", e);
        }

        if (index is null || index.Format != FormatName)
        {
            throw new InvalidDataException($"The file '{where}' is not a shard index (format \"{index?.Format}\", expected \"{FormatName}\").");
        }

        if (index.Version != CurrentVersion)
        {
            throw new InvalidDataException($"The shard index '{where}' has format version {index.Version}; this library reads version {CurrentVersion}.");
        }

        return index;
    }


    private static ShardIndex? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? format = null;
        int version = 0;
        var classes = new List<string>();
        var shards = new List<ShardIndexEntry>();
        foreach (JsonProperty property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "format":
                    format = property.Value.GetString();
                    break;
                case "version":
                    version = property.Value.GetInt32();
                    break;
                case "classes" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (JsonElement name in property.Value.EnumerateArray())
                    {
                        classes.Add(name.GetString() ?? throw new InvalidOperationException("a class name is null"));
                    }

                    break;
                case "shards" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (JsonElement shard in property.Value.EnumerateArray())
                    {
                        shards.Add(ReadShard(shard));
                    }

                    break;
            }
        }

        return new ShardIndex { Format = format!, Version = version, Classes = classes, Shards = shards };
    }

    private static ShardIndexEntry ReadShard(JsonElement shard)
    {
        string name = "", sha256 = "";
        int samples = 0;
        long bytes = 0;
        List<ShardMemberEntry>? members = null;
        foreach (JsonProperty property in shard.EnumerateObject())
        {
            JsonElement value = property.Value;
            switch (property.Name)
            {
                case "name":
                    name = value.GetString()!;
                    break;
                case "samples":
                    samples = value.GetInt32();
                    break;
                case "bytes":
                    bytes = value.GetInt64();
                    break;
                case "sha256":
                    sha256 = value.GetString()!;
                    break;
                case "members" when value.ValueKind == JsonValueKind.Array:
                    members = new List<ShardMemberEntry>(value.GetArrayLength());
                    foreach (JsonElement member in value.EnumerateArray())
                    {
                        members.Add(ReadMember(member));
                    }

                    break;
            }
        }

        return new ShardIndexEntry(name, samples, bytes, sha256, members);
    }

    private static ShardMemberEntry ReadMember(JsonElement member)
    {
        string key = "", image = "";
        int label = 0;
        long offset = 0, length = 0;
        foreach (JsonProperty property in member.EnumerateObject())
        {
            JsonElement value = property.Value;
            switch (property.Name)
            {
                case "key":
                    key = value.GetString()!;
                    break;
                case "image":
                    image = value.GetString()!;
                    break;
                case "label":
                    label = value.GetInt32();
                    break;
                case "offset":
                    offset = value.GetInt64();
                    break;
                case "length":
                    length = value.GetInt64();
                    break;
            }
        }

        return new ShardMemberEntry(key, image, label, offset, length);
    }
}

/// <summary>
/// The index's JSON contract for writing, generated at build time (no reflection when packing).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ShardIndex))]
internal sealed partial class ShardIndexJson : JsonSerializerContext;
