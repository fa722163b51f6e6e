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
    public void Save(Stream stream) => JsonSerializer.Serialize(stream, this, Json);

    /// <summary>Reads an index; <paramref name="where"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The file is not a shard index of a version this library reads.</exception>
    public static ShardIndex Load(Stream stream, string where)
    {
        ShardIndex? index;
        try
        {
            index = JsonSerializer.Deserialize<ShardIndex>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The shard index '{where}' is not valid JSON: {e.Message}", e);
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

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
