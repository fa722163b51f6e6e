using System.Globalization;
using System.Text;
using Dataflow.Samples.Output;

namespace Dataflow.Samples.Onnx;

/// <summary>Writes per-file predictions: JSON for a <c>.json</c> path, CSV otherwise.</summary>
public static class PredictionFile
{
    /// <summary>The CSV header.</summary>
    public const string CsvHeader = "path,label,predicted,predicted_name,score,correct";

    /// <summary>Writes <paramref name="records"/> to <paramref name="path"/> through a temporary file.</summary>
    /// <exception cref="Commands.UsageException">The file cannot be written; the message names it and <paramref name="option"/>.</exception>
    public static void Write(string path, IReadOnlyList<PredictionRecord> records, string option = "--out")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(records);
        OutputFile.Write(path, option, stream => WriteTo(stream, path, records));
    }

    private static void WriteTo(Stream stream, string path, IReadOnlyList<PredictionRecord> records)
    {
        using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true))
        {
            if (string.Equals(Path.GetExtension(path), ".json", StringComparison.OrdinalIgnoreCase))
            {
                Json.Write(writer, records);
            }
            else
            {
                writer.WriteLine(CsvHeader);
                foreach (PredictionRecord r in records)
                {
                    writer.WriteLine(string.Join(',', Csv(r.Path), Csv(r.Label), r.Predicted.ToString(CultureInfo.InvariantCulture), Csv(r.PredictedName ?? ""),
                        r.Score.ToString("R", CultureInfo.InvariantCulture), r.Correct switch { true => "true", false => "false", null => "" }));
                }
            }
        }
    }

    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
