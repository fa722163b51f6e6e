using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// Encoded images that OpenCV's encoders cannot write (palette PNGs, CMYK JPEGs, EXIF-tagged JPEGs,
/// headers that lie about their size), built byte by byte from the format specifications.
/// </summary>
internal static class EncodedImages
{
    /// <summary>PNG colour types (PNG spec 11.2.2).</summary>
    public const byte Gray = 0, Rgb = 2, Palette = 3, Rgba = 6;

    /// <summary>
    /// A PNG of <paramref name="width"/>×<paramref name="height"/> from unfiltered rows of packed samples
    /// (<paramref name="rows"/>: height rows of ceil(width × channels × bitDepth / 8) bytes, big-endian for 16 bits).
    /// </summary>
    public static byte[] Png(int width, int height, byte bitDepth, byte colorType, byte[] rows, byte[]? palette = null)
    {
        int channels = colorType switch { Rgb => 3, Rgba => 4, _ => 1 };
        int rowBytes = (width * channels * bitDepth + 7) / 8;
        if (rows.Length != rowBytes * height)
        {
            throw new ArgumentException($"Expected {rowBytes * height} bytes of rows, got {rows.Length}.", nameof(rows));
        }

        // Each row is prefixed with filter type 0 (None).
        var raw = new byte[(rowBytes + 1) * height];
        for (int y = 0; y < height; y++)
        {
            rows.AsSpan(y * rowBytes, rowBytes).CopyTo(raw.AsSpan(y * (rowBytes + 1) + 1));
        }

        return PngFile(Ihdr(width, height, bitDepth, colorType), palette, Deflate(raw));
    }

    /// <summary>
    /// A small valid-looking PNG whose header declares <paramref name="width"/>×<paramref name="height"/> RGB pixels
    /// but whose data holds a single row: a decoder that trusts the header allocates the declared size.
    /// </summary>
    public static byte[] PngBomb(int width, int height) => PngFile(Ihdr(width, height, 8, Rgb), null, Deflate(new byte[1 + 3 * Math.Min(width, 1024)]));

    /// <summary>
    /// A baseline JPEG with four components stored as Adobe (inverted) CMYK, one colour per 8×8 block along a
    /// single block row: <paramref name="blocks"/>[i] are the stored C, M, Y, K values of block i. Every block is
    /// uniform, so only DC coefficients are coded, with a quantization table of ones: the decoder's samples are
    /// exactly the stored values.
    /// </summary>
    public static byte[] CmykJpeg(params (byte C, byte M, byte Y, byte K)[] blocks)
    {
        using var s = new MemoryStream();
        s.Write([0xFF, 0xD8]);

        // APP14 "Adobe": version 100, flags 0, 0, transform 0 (no colour transform: the components are CMYK).
        Segment(s, 0xEE, [(byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, 0]);

        // DQT: table 0, 8-bit, all ones.
        var dqt = new byte[65];
        Array.Fill(dqt, (byte)1, 1, 64);
        Segment(s, 0xDB, dqt);

        // SOF0: 8-bit, height 8, width 8 × blocks, four components (ids 1-4), no subsampling, table 0.
        int width = 8 * blocks.Length;
        Segment(s, 0xC0, [8, 0, 8, (byte)(width >> 8), (byte)width, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);

        // DHT DC table 0: categories 0-11, all 4-bit codes (the code of category c is c).
        var dc = new byte[1 + 16 + 12];
        dc[0] = 0x00;
        dc[1 + 3] = 12;
        for (int c = 0; c < 12; c++)
        {
            dc[17 + c] = (byte)c;
        }

        Segment(s, 0xC4, dc);

        // DHT AC table 0: only end-of-block, coded as the single bit 0.
        var ac = new byte[1 + 16 + 1];
        ac[0] = 0x10;
        ac[1] = 1;
        ac[17] = 0x00;
        Segment(s, 0xC4, ac);

        // SOS: four components, each DC table 0 / AC table 0; spectral 0-63.
        Segment(s, 0xDA, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]);

        var bits = new BitWriter(s);
        var previous = new int[4];
        foreach ((byte C, byte M, byte Y, byte K) block in blocks)
        {
            ReadOnlySpan<byte> values = [block.C, block.M, block.Y, block.K];
            for (int component = 0; component < 4; component++)
            {
                // A uniform block of value v has DC coefficient 8 (v - 128); DC is coded as the difference from the last block.
                int dcValue = 8 * (values[component] - 128);
                int diff = dcValue - previous[component];
                previous[component] = dcValue;
                int category = diff == 0 ? 0 : 32 - BitOperations.LeadingZeroCount((uint)Math.Abs(diff));
                bits.Write(category, 4);
                if (category > 0)
                {
                    bits.Write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
                }

                bits.Write(0, 1);
            }
        }

        bits.Flush();
        s.Write([0xFF, 0xD9]);
        return s.ToArray();
    }

    /// <summary>
    /// Inserts <paramref name="junk"/> right after the APP0 segment that OpenCV's encoder writes first: bytes between
    /// segments, which libjpeg skips up to the next marker with only a warning ("extraneous bytes before marker").
    /// </summary>
    public static byte[] WithJunkAfterApp0(byte[] jpeg, ReadOnlySpan<byte> junk)
    {
        if (jpeg.Length < 6 || jpeg[2] != 0xFF || jpeg[3] != 0xE0)
        {
            throw new ArgumentException("Not a JPEG starting with an APP0 segment.", nameof(jpeg));
        }

        int end = 4 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));
        return [.. jpeg.AsSpan(0, end), .. junk, .. jpeg.AsSpan(end)];
    }

    /// <summary>
    /// An OS/2 bitmap (BITMAPCOREHEADER: a 12-byte info header with 16-bit width and height) of a BGR image, 24 bits
    /// per pixel, rows bottom-up and padded to 4 bytes, as the format stores them.
    /// </summary>
    public static byte[] Os2Bitmap(int width, int height, Func<int, int, (byte B, byte G, byte R)> pixel)
    {
        int stride = (width * 3 + 3) & ~3;
        var bmp = new byte[14 + 12 + stride * height];
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 14 + 12); // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 12); // BITMAPCOREHEADER
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(18), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(20), (ushort)height);
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(22), 1); // planes
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(24), 24); // bits per pixel
        for (int y = 0; y < height; y++)
        {
            Span<byte> row = bmp.AsSpan(26 + (height - 1 - y) * stride, width * 3);
            for (int x = 0; x < width; x++)
            {
                (row[3 * x], row[3 * x + 1], row[3 * x + 2]) = pixel(x, y);
            }
        }

        return bmp;
    }

    /// <summary>Inserts an APP1 Exif segment whose IFD0 holds only the Orientation tag (1-8) right after the SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        if (jpeg.Length < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new ArgumentException("Not a JPEG.", nameof(jpeg));
        }

        // "Exif\0\0", then a big-endian TIFF header, IFD0 at offset 8 with one entry: 0x0112 SHORT × 1.
        byte[] exif =
        [
            (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,
            0, 1,
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,
        ];
        using var s = new MemoryStream();
        s.Write(jpeg.AsSpan(0, 2));
        Segment(s, 0xE1, exif);
        s.Write(jpeg.AsSpan(2));
        return s.ToArray();
    }

    private static byte[] Ihdr(int width, int height, byte bitDepth, byte colorType)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        return ihdr;
    }

    private static byte[] PngFile(byte[] ihdr, byte[]? palette, byte[] idat)
    {
        using var s = new MemoryStream();
        s.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(s, "IHDR", ihdr);
        if (palette is not null)
        {
            Chunk(s, "PLTE", palette);
        }

        Chunk(s, "IDAT", idat);
        Chunk(s, "IEND", []);
        return s.ToArray();
    }

    private static byte[] Deflate(byte[] raw)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(raw);
        }

        return compressed.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        s.Write(length);
        byte[] typeAndData = [.. type.Select(c => (byte)c), .. data];
        s.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        s.Write(crc);
    }

    private static void Segment(Stream s, byte marker, byte[] payload)
    {
        s.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        s.Write(payload);
    }

    /// <summary>Writes entropy-coded bits most significant first, stuffing a zero after every 0xFF byte.</summary>
    private sealed class BitWriter(Stream stream)
    {
        private int _buffer;
        private int _count;

        public void Write(int value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        public void Flush()
        {
            // Pad the last byte with ones (JPEG spec F.1.2.3).
            while (_count != 0)
            {
                Write(1, 1);
            }
        }

        private void Emit()
        {
            stream.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                stream.WriteByte(0);
            }

            _buffer = 0;
            _count = 0;
        }
    }
}
