using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A shard index as read (<see cref="ShardIndex.Load"/>): every field as written; one the file lacks takes the default of
/// its parameter (no format, version 0, empty names, zeros), and a null stays null for the checks to name. Unknown
/// properties are passed over.
/// </summary>
internal sealed record ShardIndexDocument(
    string? Format = null,
    int Version = 0,
    [property: JsonConverter(typeof(ShardIndexDocument.ClassesConverter))] List<string>? Classes = null,
    [property: JsonConverter(typeof(ShardIndexDocument.ShardsConverter))] List<ShardIndexDocument.Shard>? Shards = null)
{
    /// <summary>The index (no classes and no shards where the file lists none).</summary>
    public ShardIndex ToIndex() => new()
    {
        Format = Format!,
        Version = Version,
        Classes = Classes ?? [],
        Shards = [.. (Shards ?? []).Select(s => s.ToEntry())],
    };

    /// <summary>One shard as read.</summary>
    internal sealed record Shard(
        string? Name = "",
        int Samples = 0,
        long Bytes = 0,
        string? Sha256 = "",
        [property: JsonConverter(typeof(MembersConverter))] List<Member>? Members = null)
    {
        public ShardIndexEntry ToEntry() => new(Name!, Samples, Bytes, Sha256!, Members?.Select(m => m.ToEntry()).ToList());
    }

    /// <summary>One member as read.</summary>
    internal sealed record Member(string? Key = "", string? Image = "", int Label = 0, long Offset = 0, long Length = 0, string? Text = null)
    {
        public ShardMemberEntry ToEntry() => new(Key!, Image!, Label, Offset, Length) { Text = Text };
    }

    /// <summary>The kind of JSON value a token starts, in words.</summary>
    internal static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>A list read element by element; anything but a list is refused when it is <see cref="Required"/>, else passed over (null).</summary>
    internal abstract class ListConverter<T> : JsonConverter<List<T>?>
    {
        public override bool HandleNull => true;

        /// <summary>How the list is named when it must be one (<c>"shards"</c>), or null when anything else is passed over.</summary>
        protected abstract string? Required { get; }

        public override List<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                if (Required is string name)
                {
                    throw new JsonException($"{name} is {Kind(reader.TokenType)}, not an array");
                }

                reader.Skip();
                return null;
            }

            var items = new List<T>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                items.Add(Element(ref reader));
            }

            return items;
        }

        public override void Write(Utf8JsonWriter writer, List<T>? value, JsonSerializerOptions options) => throw new NotSupportedException();

        /// <summary>Reads the element the reader is on.</summary>
        protected abstract T Element(ref Utf8JsonReader reader);

        /// <summary>The object the reader is on, read as <paramref name="type"/>; anything else is refused naming <paramref name="what"/>.</summary>
        protected static TObject Object<TObject>(ref Utf8JsonReader reader, string what, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TObject> type) =>
            reader.TokenType == JsonTokenType.StartObject
                ? JsonSerializer.Deserialize(ref reader, type)!
                : throw new JsonException($"{what} is {Kind(reader.TokenType)}, not an object");
    }

    /// <summary>The class names: a list of strings; anything but a list is passed over (no classes), a null name refused.</summary>
    internal sealed class ClassesConverter : ListConverter<string>
    {
        protected override string? Required => null;

        protected override string Element(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new JsonException($"a class name is {Kind(reader.TokenType)}, not a string");
    }

    /// <summary>The shards: the index's whole content, so anything but a list of objects is refused, never read as "no shards".</summary>
    internal sealed class ShardsConverter : ListConverter<Shard>
    {
        protected override string? Required => "\"shards\"";

        protected override Shard Element(ref Utf8JsonReader reader) => Object(ref reader, "a shard", ShardIndexReadJson.Default.Shard);
    }

    /// <summary>A shard's members: a list of objects; anything but a list is passed over (the shard is scanned instead).</summary>
    internal sealed class MembersConverter : ListConverter<Member>
    {
        protected override string? Required => null;

        protected override Member Element(ref Utf8JsonReader reader) => Object(ref reader, "a member", ShardIndexReadJson.Default.Member);
    }
}

/// <summary>The index's JSON contract for reading, generated at build time; property names are matched exactly.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ShardIndexDocument))]
[JsonSerializable(typeof(ShardIndexDocument.Shard))]
[JsonSerializable(typeof(ShardIndexDocument.Member))]
internal sealed partial class ShardIndexReadJson : JsonSerializerContext;
