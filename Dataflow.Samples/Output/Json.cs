using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dataflow.Samples.Output;

/// <summary>The one JSON document a command writes with <c>--json</c>.</summary>
public static class Json
{
    /// <summary>camelCase names, indented, enums as strings, nulls kept.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Writes <paramref name="document"/> and a newline.</summary>
    public static void Write(TextWriter writer, object document)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(JsonSerializer.Serialize(document, document.GetType(), Options));
        writer.Flush();
    }
}
