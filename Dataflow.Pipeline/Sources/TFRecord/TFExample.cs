using Google.Protobuf;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The fields of a <c>tf.train.Example</c> the TFRecord source reads, parsed with Google.Protobuf's
/// <see cref="CodedInputStream"/> straight from the record's bytes (hand-written for the few messages of
/// <c>example.proto</c> and <c>feature.proto</c>: Example, Features, its map entries, Feature, BytesList, Int64List):
/// where the image's bytes lie inside the record (never copied here) and the label.
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
    public readonly record struct Fields(int ImageStart, int ImageLength, long? Label, string? ImageKey);

    /// <summary>Parses the Example in <paramref name="buffer"/>[<paramref name="offset"/>..+<paramref name="length"/>].</summary>
    /// <param name="buffer">The record's bytes.</param>
    /// <param name="offset">Where the Example starts.</param>
    /// <param name="length">Its length.</param>
    /// <param name="imageKeys">The image feature's names, the first found is read.</param>
    /// <param name="labelKeys">The label feature's names, the first found is read.</param>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a valid Example.</exception>
    /// <exception cref="InvalidDataException">A feature holds another kind of list than expected; the message names the feature.</exception>
    public static Fields Parse(byte[] buffer, int offset, int length, IReadOnlyList<string> imageKeys, IReadOnlyList<string> labelKeys)
    {
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

        return new Fields(imageStart, imageLength, label, imageKey);
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
