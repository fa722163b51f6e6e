using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Dataflow.Pipeline.Discovery;
using ParquetSharp;
using ParquetSharp.Schema;

namespace Dataflow.Tools.Bench;

/// <summary>
/// The class folders written once as the published formats the bench reads: a Hugging Face Parquet file (an
/// <c>image</c> struct {bytes, path}, an int64 <c>label</c>, the <c>huggingface</c> metadata, row groups of 100 rows as
/// <c>datasets</c> writes image sets) and TFRecord files of tf.train.Example (<c>image/encoded</c>,
/// <c>image/class/label</c>, <c>image/filename</c>, <c>image/format</c>), each sample in folder discovery order.
/// Kept under the temporary folder for later runs.
/// </summary>
internal static class BenchFormats
{
    /// <summary>Rows per Parquet row group.</summary>
    public const int RowGroupRows = 100;

    /// <summary>Records per TFRecord file.</summary>
    public const int RecordsPerFile = 500;

    /// <summary>The folders at <paramref name="data"/> as <c>data/train-NNNNN-of-NNNNN.parquet</c> under the returned folder.</summary>
    public static string Parquet(string data) => Once(data, "parquet", folder =>
    {
        SampleSet set = new FolderSampleSource().Discover([data]);
        string metadata = "{\"info\": {\"features\": {\"image\": {\"_type\": \"Image\"}, \"label\": {\"names\": ["
            + string.Join(", ", set.ClassNames.Select(n => "\"" + System.Text.Json.JsonEncodedText.Encode(n) + "\"")) + "], \"_type\": \"ClassLabel\"}}}}";
        // Arrow's physical writer (AOT-safe, as the bench runs): image {bytes, path} optional, label optional int64.
        using var bytesNode = new PrimitiveNode("bytes", Repetition.Optional, LogicalType.None(), PhysicalType.ByteArray);
        using var pathNode = new PrimitiveNode("path", Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray);
        using var image = new GroupNode("image", Repetition.Optional, [bytesNode, pathNode]);
        using var label = new PrimitiveNode("label", Repetition.Optional, LogicalType.None(), PhysicalType.Int64);
        using var schema = new GroupNode("schema", Repetition.Required, [image, label]);
        using WriterProperties properties = new WriterPropertiesBuilder().Compression(Compression.Snappy).Build();
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        using var writer = new ParquetFileWriter(Path.Combine(folder, "data", "train-00000-of-00001.parquet"), schema, properties, new Dictionary<string, string> { ["huggingface"] = metadata });
        short[] present = [2];
        for (int start = 0; start < set.Samples.Count; start += RowGroupRows)
        {
            SampleInfo[] rows = [.. set.Samples.Skip(start).Take(RowGroupRows)];
            using RowGroupWriter group = writer.AppendRowGroup();
            foreach (Func<SampleInfo, byte[]> cell in new Func<SampleInfo, byte[]>[] { r => File.ReadAllBytes(r.Id), r => System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(r.Id)) })
            {
                using var column = (ColumnWriter<ByteArray>)group.NextColumn();
                foreach (SampleInfo row in rows)
                {
                    byte[] bytes = cell(row);
                    GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
                    try
                    {
                        column.WriteBatch(1, present, [0], [new ByteArray(pin.AddrOfPinnedObject(), bytes.Length)]);
                    }
                    finally
                    {
                        pin.Free();
                    }
                }
            }

            using var labels = (ColumnWriter<long>)group.NextColumn();
            labels.WriteBatch(rows.Length, [.. rows.Select(_ => (short)1)], null, [.. rows.Select(r => (long)r.Label)]);
        }

        writer.Close();
    });

    /// <summary>The folders at <paramref name="data"/> as <c>train.tfrecord-NNNNN-of-NNNNN</c> files under the returned folder.</summary>
    public static string TFRecord(string data) => Once(data, "tfrecord", folder =>
    {
        SampleSet set = new FolderSampleSource().Discover([data]);
        int files = (set.Samples.Count + RecordsPerFile - 1) / RecordsPerFile;
        Directory.CreateDirectory(folder);
        for (int f = 0; f < files; f++)
        {
            using FileStream stream = File.Create(Path.Combine(folder, $"train.tfrecord-{f:D5}-of-{files:D5}"));
            foreach (SampleInfo sample in set.Samples.Skip(f * RecordsPerFile).Take(RecordsPerFile))
            {
                WriteRecord(stream, Example(File.ReadAllBytes(sample.Id), sample.Label, Path.GetFileName(sample.Id)));
            }
        }
    });

    private static string Once(string data, string kind, Action<string> write)
    {
        string full = Path.GetFullPath(data);
        string spelled = full.Replace(Path.DirectorySeparatorChar, '_').Replace(Path.AltDirectorySeparatorChar, '_').Trim('_');
        string folder = Path.Combine(Path.GetTempPath(), "dataflow-bench", $"{spelled}-{kind}");
        if (!File.Exists(Path.Combine(folder, ".complete")))
        {
            string partial = folder + ".partial";
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            write(partial);
            File.WriteAllText(Path.Combine(partial, ".complete"), "");
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.Move(partial, folder);
        }

        return folder;
    }

    /// <summary>One TFRecord: length, masked CRC-32C of the length, data, masked CRC-32C of the data.</summary>
    private static void WriteRecord(Stream stream, byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Masked(header[..8]));
        stream.Write(header);
        stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Masked(data));
        stream.Write(footer);
    }

    private static byte[] Example(byte[] image, long label, string filename)
    {
        byte[] Bytes(byte[] value) => Field(1, Field(1, value)); // Feature.bytes_list { value }
        byte[] Int64(long value) => Field(3, Field(1, Varint((ulong)value))); // Feature.int64_list { packed value }
        byte[] Entry(string key, byte[] feature) => Field(1, [.. Field(1, System.Text.Encoding.UTF8.GetBytes(key)), .. Field(2, feature)]);
        byte[] features = [.. Entry("image/encoded", Bytes(image)), .. Entry("image/class/label", Int64(label)),
            .. Entry("image/filename", Bytes(System.Text.Encoding.UTF8.GetBytes(filename))), .. Entry("image/format", Bytes("jpeg"u8.ToArray()))];
        return Field(1, features);
    }

    private static byte[] Field(int number, byte[] payload) => [.. Varint((ulong)((number << 3) | 2)), .. Varint((ulong)payload.Length), .. payload];

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0x82F63B78 ^ (crc >> 1) : crc >> 1;
            }
        }

        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
    }
}
