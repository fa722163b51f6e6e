using Google.Protobuf;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The fields of a <c>tf.train.Example</c> the TFRecord source reads, parsed with Google.Protobuf's
/// <see cref="CodedInputStream"/> straight from the record's bytes (hand-written for the few messages of
/// <c>example.proto</c> and <c>feature.proto</c>: Example, Features, its map entries, Feature, BytesList, FloatList, Int64List):
/// where the image's bytes lie inside the record (never copied here), the label, and the TF Object Detection API's
/// object features when asked for.
/// </summary>
internal static class TFExample
{
    // Field numbers and wire types of example.proto / feature.proto.
    private const uint LengthDelimited = 2;

    /// <summary>What a record holds of what is asked for.</summary>
    /// <param name="ImageStart">The image bytes' offset in the buffer, or -1 when the record has no such feature.</param>
    /// <param name="ImageLength">Their length.</param>
    /// <param name="Label">The label's first value, or null when the record has no such feature (or it is empty).</param>
    /// <param name="ImageKey">The image feature found.</param>
    public readonly record struct Fields(int ImageStart, int ImageLength, long? Label, string? ImageKey)
    {
        /// <summary>The detection features (as the TF Object Detection API writes them), when asked for and the record has any.</summary>
        public ObjectFields? Objects { get; init; }
    }

    /// <summary>The features of a record's objects, as the TF Object Detection API's <c>create_*_tf_record.py</c> write them.</summary>
    public sealed class ObjectFields
    {
        /// <summary>The feature names read, in the order of <see cref="Values"/>.</summary>
        public static readonly string[] Keys =
        [
            "image/object/bbox/xmin", "image/object/bbox/ymin", "image/object/bbox/xmax", "image/object/bbox/ymax",
            "image/object/class/label", "image/object/class/text", "image/height", "image/width",
        ];

        /// <summary>Each key's values (floats, int64s as doubles), null where the record lacks it; the texts apart.</summary>
        public double[]?[] Values { get; } = new double[]?[Keys.Length];

        /// <summary>The <c>image/object/class/text</c> values, or null.</summary>
        public string[]? Texts { get; set; }
    }

    /// <summary>Parses the Example in <paramref name="buffer"/>[<paramref name="offset"/>..+<paramref name="length"/>].</summary>
    /// <param name="buffer">The record's bytes.</param>
    /// <param name="offset">Where the Example starts.</param>
    /// <param name="length">Its length.</param>
    /// <param name="imageKeys">The image feature's names, the first found is read.</param>
    /// <param name="labelKeys">The label feature's names, the first found is read.</param>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a valid Example.</exception>
    /// <exception cref="InvalidDataException">A feature holds another kind of list than expected; the message names the feature.</exception>
    /// <param name="objects">True to read the detection features (<see cref="ObjectFields.Keys"/>) too.</param>
    public static Fields Parse(byte[] buffer, int offset, int length, IReadOnlyList<string> imageKeys, IReadOnlyList<string> labelKeys, bool objects = false)
    {
        ObjectFields? found = null;
        int imageStart = -1, imageLength = 0, imageRank = int.MaxValue, labelRank = int.MaxValue;
        long? label = null;
        string? imageKey = null;
        var example = new CodedInputStream(buffer, offset, length);
        for (uint tag; (tag = example.ReadTag()) != 0;)
        {
            if (tag >> 3 != 1 || (tag & 7) != LengthDelimited)
            {
                example.SkipLastField();
                continue;
            }

            // Example.features (1) -> Features.feature (1): map<string, Feature> entries.
            (int featuresStart, int featuresLength) = Skip(example, buffer);
            var features = new CodedInputStream(buffer, featuresStart, featuresLength);
            for (uint featureTag; (featureTag = features.ReadTag()) != 0;)
            {
                if (featureTag >> 3 != 1 || (featureTag & 7) != LengthDelimited)
                {
                    features.SkipLastField();
                    continue;
                }

                (int entryStart, int entryLength) = Skip(features, buffer);
                (string? key, int valueStart, int valueLength) = Entry(buffer, entryStart, entryLength);
                if (key is null || valueStart < 0)
                {
                    continue;
                }

                int rank = IndexOf(imageKeys, key);
                if (rank >= 0 && rank < imageRank)
                {
                    (imageStart, imageLength) = FirstBytes(buffer, valueStart, valueLength, key);
                    imageRank = imageStart >= 0 ? rank : imageRank;
                    imageKey = imageStart >= 0 ? key : imageKey;
                    continue;
                }

                int objectKey = objects ? Array.IndexOf(ObjectFields.Keys, key) : -1;
                if (objectKey >= 0)
                {
                    found ??= new ObjectFields();
                    if (objectKey == 5)
                    {
                        found.Texts = AllBytes(buffer, valueStart, valueLength, key);
                    }
                    else
                    {
                        found.Values[objectKey] = objectKey < 4 ? AllFloats(buffer, valueStart, valueLength, key) : AllInt64(buffer, valueStart, valueLength, key);
                    }

                    continue;
                }

                rank = IndexOf(labelKeys, key);
                if (rank >= 0 && rank < labelRank)
                {
                    long? value = FirstInt64(buffer, valueStart, valueLength, key);
                    if (value is not null)
                    {
                        label = value;
                        labelRank = rank;
                    }
                }
            }
        }

        return new Fields(imageStart, imageLength, label, imageKey) { Objects = found };
    }

    /// <summary>Every value of a Feature's float_list (2), packed or not; empty when it has none.</summary>
    private static double[] AllFloats(byte[] buffer, int start, int length, string key)
    {
        var values = new List<double>();
        foreach (CodedInputStream list in Lists(buffer, start, length, key, 2))
        {
            for (uint tag; (tag = list.ReadTag()) != 0;)
            {
                if (tag == ((1 << 3) | 5))
                {
                    values.Add(list.ReadFloat());
                }
                else if (tag == ((1 << 3) | LengthDelimited))
                {
                    (int packedStart, int packedLength) = Skip(list, buffer);
                    var packed = new CodedInputStream(buffer, packedStart, packedLength);
                    while (!packed.IsAtEnd)
                    {
                        values.Add(packed.ReadFloat());
                    }
                }
                else
                {
                    list.SkipLastField();
                }
            }
        }

        return [.. values];
    }

    /// <summary>Every value of a Feature's int64_list (3), packed or not; empty when it has none.</summary>
    private static double[] AllInt64(byte[] buffer, int start, int length, string key)
    {
        var values = new List<double>();
        foreach (CodedInputStream list in Lists(buffer, start, length, key, 3))
        {
            for (uint tag; (tag = list.ReadTag()) != 0;)
            {
                if (tag == (1 << 3))
                {
                    values.Add(list.ReadInt64());
                }
                else if (tag == ((1 << 3) | LengthDelimited))
                {
                    (int packedStart, int packedLength) = Skip(list, buffer);
                    var packed = new CodedInputStream(buffer, packedStart, packedLength);
                    while (!packed.IsAtEnd)
                    {
                        values.Add(packed.ReadInt64());
                    }
                }
                else
                {
                    list.SkipLastField();
                }
            }
        }

        return [.. values];
    }

    /// <summary>Every value of a Feature's bytes_list (1), as UTF-8 text.</summary>
    private static string[] AllBytes(byte[] buffer, int start, int length, string key)
    {
        var values = new List<string>();
        foreach (CodedInputStream list in Lists(buffer, start, length, key, 1))
        {
            for (uint tag; (tag = list.ReadTag()) != 0;)
            {
                if (tag == ((1 << 3) | LengthDelimited))
                {
                    values.Add(list.ReadString());
                }
                else
                {
                    list.SkipLastField();
                }
            }
        }

        return [.. values];
    }

    /// <summary>The Feature's list of kind <paramref name="kind"/> (1 bytes, 2 float, 3 int64); another kind is refused naming the feature.</summary>
    private static IEnumerable<CodedInputStream> Lists(byte[] buffer, int start, int length, string key, uint kind)
    {
        string[] kinds = ["", "a bytes_list", "a float_list", "an int64_list"];
        var feature = new CodedInputStream(buffer, start, length);
        var lists = new List<CodedInputStream>();
        for (uint tag; (tag = feature.ReadTag()) != 0;)
        {
            if (tag == ((kind << 3) | LengthDelimited))
            {
                (int listStart, int listLength) = Skip(feature, buffer);
                lists.Add(new CodedInputStream(buffer, listStart, listLength));
            }
            else if (tag >> 3 is 1 or 2 or 3)
            {
                throw new InvalidDataException($"its feature \"{key}\" is {kinds[tag >> 3]}, not {kinds[kind]}");
            }
            else
            {
                feature.SkipLastField();
            }
        }

        return lists;
    }

    private static int IndexOf(IReadOnlyList<string> keys, string key)
    {
        for (int i = 0; i < keys.Count; i++)
        {
            if (string.Equals(keys[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A map entry's key (1) and value (2) range, in either order.</summary>
    private static (string? Key, int ValueStart, int ValueLength) Entry(byte[] buffer, int start, int length)
    {
        string? key = null;
        int valueStart = -1, valueLength = 0;
        var entry = new CodedInputStream(buffer, start, length);
        for (uint tag; (tag = entry.ReadTag()) != 0;)
        {
            switch (tag)
            {
                case (1 << 3) | LengthDelimited:
                    key = entry.ReadString();
                    break;
                case (2 << 3) | LengthDelimited:
                    (valueStart, valueLength) = Skip(entry, buffer);
                    break;
                default:
                    entry.SkipLastField();
                    break;
            }
        }

        return (key, valueStart, valueLength);
    }

    /// <summary>The first value of a Feature's bytes_list (1), or -1 when it has none.</summary>
    private static (int Start, int Length) FirstBytes(byte[] buffer, int start, int length, string key)
    {
        var feature = new CodedInputStream(buffer, start, length);
        for (uint tag; (tag = feature.ReadTag()) != 0;)
        {
            if (tag == ((1 << 3) | LengthDelimited))
            {
                (int listStart, int listLength) = Skip(feature, buffer);
                var list = new CodedInputStream(buffer, listStart, listLength);
                for (uint valueTag; (valueTag = list.ReadTag()) != 0;)
                {
                    if (valueTag == ((1 << 3) | LengthDelimited))
                    {
                        return Skip(list, buffer);
                    }

                    list.SkipLastField();
                }

                return (-1, 0);
            }

            if (tag >> 3 is 2 or 3)
            {
                throw new InvalidDataException($"its feature \"{key}\" is a{(tag >> 3 == 2 ? " float_list" : "n int64_list")}, not a bytes_list");
            }

            feature.SkipLastField();
        }

        return (-1, 0);
    }

    /// <summary>The first value of a Feature's int64_list (3), packed or not, or null when it has none.</summary>
    private static long? FirstInt64(byte[] buffer, int start, int length, string key)
    {
        var feature = new CodedInputStream(buffer, start, length);
        for (uint tag; (tag = feature.ReadTag()) != 0;)
        {
            if (tag == ((3 << 3) | LengthDelimited))
            {
                (int listStart, int listLength) = Skip(feature, buffer);
                var list = new CodedInputStream(buffer, listStart, listLength);
                for (uint valueTag; (valueTag = list.ReadTag()) != 0;)
                {
                    if (valueTag == (1 << 3))
                    {
                        return list.ReadInt64();
                    }

                    if (valueTag == ((1 << 3) | LengthDelimited))
                    {
                        (int packedStart, int packedLength) = Skip(list, buffer);
                        return packedLength == 0 ? null : new CodedInputStream(buffer, packedStart, packedLength).ReadInt64();
                    }

                    list.SkipLastField();
                }

                return null;
            }

            if (tag >> 3 is 1 or 2)
            {
                throw new InvalidDataException($"its feature \"{key}\" is a {(tag >> 3 == 1 ? "bytes_list" : "float_list")}, not an int64_list");
            }

            feature.SkipLastField();
        }

        return null;
    }

    /// <summary>
    /// Passes over the length-delimited field whose tag was just read and returns where its bytes lie in
    /// <paramref name="buffer"/> (a stream made over an array counts its position from the array's start).
    /// </summary>
    private static (int Start, int Length) Skip(CodedInputStream input, byte[] buffer)
    {
        int at = (int)input.Position;
        input.SkipLastField();
        int end = (int)input.Position;
        // The length's varint, then the bytes: the varint's size follows from where the field ends.
        int varint = 0;
        while ((buffer[at + varint] & 0x80) != 0)
        {
            varint++;
        }

        varint++;
        return (at + varint, end - at - varint);
    }
}
