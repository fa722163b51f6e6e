using System.Buffers.Binary;
using System.IO.Compression;
using OpenCvSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a PNG label map as class indices: an 8-bit grayscale PNG through OpenCV, a palette PNG by its palette indices
/// (OpenCV would expand those to colours), as PASCAL VOC and Cityscapes-style tools write them.
/// </summary>
internal static class LabelMapPng
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>The label map in <paramref name="path"/>: a new 8-bit, 1-channel Mat the caller owns.</summary>
    /// <exception cref="InvalidDataException">The file is not a PNG, or one of another kind (colour, 16-bit, interlaced palette); the message names it.</exception>
    public static Mat Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 33 || !bytes.AsSpan(0, 8).SequenceEqual(Signature) || !bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new InvalidDataException($"Mask '{path}' is not a PNG file (a label map is an 8-bit grayscale or palette PNG).");
        }

        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        byte depth = bytes[24], colour = bytes[25], interlace = bytes[28];
        if (colour == 0 && depth == 8)
        {
            Mat gray = Cv2.ImDecode(bytes, ImreadModes.Unchanged);
            if (gray.Empty())
            {
                gray.Dispose();
                throw new InvalidDataException($"Mask '{path}' cannot be decoded ({bytes.Length} bytes).");
            }

            return gray;
        }

        if (colour != 3 || interlace != 0 || depth is not (1 or 2 or 4 or 8) || width <= 0 || height <= 0)
        {
            throw new InvalidDataException(
                $"Mask '{path}' is a PNG of colour type {colour}, depth {depth}{(interlace != 0 ? ", interlaced" : string.Empty)}; a label map is an 8-bit grayscale PNG or a non-interlaced palette PNG.");
        }

        return Palette(path, bytes, width, height, depth);
    }

    /// <summary>Inflates the image data of a palette PNG and undoes each row's filter, leaving the indices.</summary>
    private static Mat Palette(string path, byte[] bytes, int width, int height, int depth)
    {
        using var data = new MemoryStream();
        for (int at = 8; at + 12 <= bytes.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (length < 0 || at + 12L + length > bytes.Length)
            {
                throw new InvalidDataException($"Mask '{path}' is a truncated PNG (a chunk at byte {at} runs past the end).");
            }

            ReadOnlySpan<byte> type = bytes.AsSpan(at + 4, 4);
            if (type.SequenceEqual("IDAT"u8))
            {
                data.Write(bytes, at + 8, length);
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }

            at += 12 + length;
        }

        int stride = (width * depth + 7) / 8;
        var rows = new byte[(long)(stride + 1) * height];
        data.Position = 0;
        using (var inflate = new ZLibStream(data, CompressionMode.Decompress))
        {
            try
            {
                inflate.ReadExactly(rows);
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
            {
                throw new InvalidDataException($"Mask '{path}': its PNG image data does not inflate to {height} rows of {stride} bytes: {e.Message}", e);
            }
        }

        var mask = new Mat(height, width, MatType.CV_8UC1);
        Span<byte> pixels = mask.AsSpan<byte>();
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int start = y * (stride + 1);
            byte filter = rows[start];
            rows.AsSpan(start + 1, stride).CopyTo(row);
            for (int x = 0; x < stride; x++)
            {
                int left = x > 0 ? row[x - 1] : 0, up = previous[x], corner = x > 0 ? previous[x - 1] : 0;
                row[x] += filter switch
                {
                    0 => 0,
                    1 => (byte)left,
                    2 => (byte)up,
                    3 => (byte)((left + up) / 2),
                    4 => Paeth(left, up, corner),
                    _ => throw new InvalidDataException($"Mask '{path}': row {y} has PNG filter {filter} (0 to 4)."),
                };
            }

            int perByte = 8 / depth, bitMask = (1 << depth) - 1;
            for (int x = 0; x < width; x++)
            {
                pixels[y * width + x] = depth == 8 ? row[x] : (byte)((row[x / perByte] >> (8 - depth * (x % perByte + 1))) & bitMask);
            }

            (previous, row) = (row, previous);
        }

        return mask;
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
