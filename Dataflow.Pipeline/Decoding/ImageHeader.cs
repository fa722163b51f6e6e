using System.Buffers.Binary;

namespace Dataflow.Pipeline.Decoding;

/// <summary>Format and dimensions read from an encoded image's header, without decoding it.</summary>
/// <param name="Format">The container format.</param>
/// <param name="Width">Width in pixels as the header declares it (0 when the header does not say).</param>
/// <param name="Height">Height in pixels as the header declares it (0 when the header does not say).</param>
public readonly record struct ImageHeader(ImageFormat Format, int Width, int Height)
{
    /// <summary>Width × height as declared.</summary>
    public long Pixels => (long)Width * Height;

    /// <summary>Reads the format and declared size from the first bytes of an encoded image.</summary>
    public static ImageHeader Read(ReadOnlySpan<byte> data)
    {
        ImageFormat format = Sniff(data);
        (int w, int h) = format switch
        {
            ImageFormat.Jpeg => JpegSize(data),
            ImageFormat.Png when data.Length >= 24 => (Clamp(BinaryPrimitives.ReadUInt32BigEndian(data[16..])), Clamp(BinaryPrimitives.ReadUInt32BigEndian(data[20..]))),
            ImageFormat.Bmp => BmpSize(data),
            ImageFormat.Gif when data.Length >= 10 => (BinaryPrimitives.ReadUInt16LittleEndian(data[6..]), BinaryPrimitives.ReadUInt16LittleEndian(data[8..])),
            ImageFormat.WebP => WebPSize(data),
            ImageFormat.Tiff => TiffSize(data),
            ImageFormat.Pnm => PnmSize(data),
            _ => (0, 0),
        };
        return new ImageHeader(format, Math.Max(0, w), Math.Max(0, h));
    }

    /// <summary>The format from the magic bytes.</summary>
    public static ImageFormat Sniff(ReadOnlySpan<byte> d)
    {
        if (d.Length >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        {
            return ImageFormat.Jpeg;
        }

        if (d.Length >= 8 && d[..8].SequenceEqual(PngMagic))
        {
            return ImageFormat.Png;
        }

        if (d.Length >= 2 && d[0] == (byte)'B' && d[1] == (byte)'M')
        {
            return ImageFormat.Bmp;
        }

        if (d.Length >= 12 && d[..4].SequenceEqual("RIFF"u8) && d[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageFormat.WebP;
        }

        if (d.Length >= 4 && ((d[0] == (byte)'I' && d[1] == (byte)'I' && d[2] == 42 && d[3] == 0) || (d[0] == (byte)'M' && d[1] == (byte)'M' && d[2] == 0 && d[3] == 42)))
        {
            return ImageFormat.Tiff;
        }

        if (d.Length >= 6 && (d[..6].SequenceEqual("GIF87a"u8) || d[..6].SequenceEqual("GIF89a"u8)))
        {
            return ImageFormat.Gif;
        }

        if (d.Length >= 2 && d[0] == (byte)'P' && d[1] >= (byte)'1' && d[1] <= (byte)'6')
        {
            return ImageFormat.Pnm;
        }

        return ImageFormat.Unknown;
    }

    /// <summary>True when a JPEG stream ends with the end-of-image marker (FF D9), allowing trailing padding.</summary>
    public static bool JpegHasEndMarker(ReadOnlySpan<byte> d)
    {
        // Some writers pad after EOI; look at the last few bytes only.
        int start = Math.Max(2, d.Length - 64);
        for (int i = d.Length - 2; i >= start; i--)
        {
            if (d[i] == 0xFF && d[i + 1] == 0xD9)
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> PngMagic => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// The frame size from the first start-of-frame marker, found the way libjpeg's marker reader finds it: bytes
    /// that are not a marker (junk between segments, which libjpeg only warns about) are skipped up to the next
    /// 0xFF, fill bytes (0xFF 0xFF) and stuffed zeros (0xFF 0x00) are passed over, and every other segment is
    /// skipped by its length. (0, 0) when no frame header is found before the scan, the end of the image or the
    /// end of the data: the decoder then refuses the image rather than decode a size it could not check.
    /// </summary>
    private static (int W, int H) JpegSize(ReadOnlySpan<byte> d)
    {
        int i = 2; // past SOI (FF D8), which the signature check found
        while (true)
        {
            // libjpeg's next_marker: skip anything up to an 0xFF, then any run of 0xFF; 0x00 after it is stuffing.
            while (i < d.Length && d[i] != 0xFF)
            {
                i++;
            }

            while (i < d.Length && d[i] == 0xFF)
            {
                i++;
            }

            if (i >= d.Length)
            {
                return (0, 0);
            }

            byte marker = d[i++];
            if (marker is 0x00 or 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                continue; // stuffed zero, TEM, a stray SOI or RSTn: no length follows
            }

            if (marker is 0xD9 or 0xDA || i + 2 > d.Length)
            {
                return (0, 0); // end of image or start of scan before any frame header
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(d[i..]);
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size: P, Y (height), X (width).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return i + 7 > d.Length || length < 8 ? (0, 0)
                    : (BinaryPrimitives.ReadUInt16BigEndian(d[(i + 5)..]), BinaryPrimitives.ReadUInt16BigEndian(d[(i + 3)..]));
            }

            if (length < 2)
            {
                return (0, 0);
            }

            i += length;
        }
    }

    private static (int W, int H) BmpSize(ReadOnlySpan<byte> d)
    {
        if (d.Length < 18)
        {
            return (0, 0);
        }

        // The info header's size says which one it is: the OS/2 BITMAPCOREHEADER (12 bytes) has 16-bit unsigned
        // width and height; every later one (BITMAPINFOHEADER and its V4/V5 extensions, OS/2 2.x) 32-bit signed,
        // a negative height meaning rows stored top-down.
        uint infoSize = BinaryPrimitives.ReadUInt32LittleEndian(d[14..]);
        if (infoSize == 12)
        {
            return d.Length < 22 ? (0, 0) : (BinaryPrimitives.ReadUInt16LittleEndian(d[18..]), BinaryPrimitives.ReadUInt16LittleEndian(d[20..]));
        }

        return infoSize < 16 || d.Length < 26 ? (0, 0)
            : (Clamp(Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(d[18..]))), Clamp(Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(d[22..]))));
    }

    // A declared size beyond int stays "huge" rather than wrapping to a small or negative number.
    private static int Clamp(long value) => (int)Math.Clamp(value, 0, int.MaxValue);

    private static (int W, int H) TiffSize(ReadOnlySpan<byte> d)
    {
        // IFD0's ImageWidth (256) and ImageLength (257) entries, SHORT or LONG, in the file's byte order.
        long w = TiffFirstValue(d, 256), h = TiffFirstValue(d, 257);
        return (w < 0 ? 0 : Clamp(w), h < 0 ? 0 : Clamp(h));
    }

    /// <summary>
    /// Why OpenCV's 8-bit decode of a TIFF would not give its pixels, or null: samples wider than 16 bits (OpenCV decodes
    /// nothing), or SGILOG-encoded (LogLuv or LogL) floating-point samples, as OpenCV writes a 3-channel float image
    /// with SGILOG compression (OpenCV tone-maps those to 8 bits: other colours, not the samples scaled).
    /// </summary>
    internal static string? TiffUnsupportedSamples(ReadOnlySpan<byte> d)
    {
        if (Sniff(d) != ImageFormat.Tiff)
        {
            return null;
        }

        // Compression SGILOG (34676) or SGILOG24 (34677); photometric LogL (32844) or LogLuv (32845).
        if (TiffFirstValue(d, 259) is 34676 or 34677 || TiffFirstValue(d, 262) is 32844 or 32845)
        {
            return "unsupported TIFF sample type: SGILOG-encoded (LogLuv) floating-point samples (OpenCV tone-maps them into 8-bit images, " +
                "which changes their colours; convert the file to 8 or 16 bits per sample)";
        }

        return TiffWideSampleType(d) is string samples
            ? $"unsupported TIFF sample type: {samples} samples (OpenCV decodes TIFF samples of up to 16 bits into 8-bit images; convert the file to 8 or 16 bits per sample)"
            : null;
    }

    /// <summary>
    /// For a TIFF whose samples OpenCV cannot turn into an 8-bit image (more than 16 bits per sample: 32-bit
    /// float or integer, 64-bit float), what they are, e.g. "32-bit floating-point"; otherwise null.
    /// </summary>
    internal static string? TiffWideSampleType(ReadOnlySpan<byte> d)
    {
        if (Sniff(d) != ImageFormat.Tiff)
        {
            return null;
        }

        long bits = TiffFirstValue(d, 258), format = TiffFirstValue(d, 339);
        if (bits <= 16)
        {
            return null;
        }

        string kind = format switch
        {
            2 => "signed integer",
            3 => "floating-point",
            _ => "unsigned integer",
        };
        return $"{bits}-bit {kind}";
    }

    /// <summary>The first value of a SHORT or LONG entry of IFD0 (inline or at its offset); -1 when absent or unreadable.</summary>
    private static long TiffFirstValue(ReadOnlySpan<byte> d, ushort wanted)
    {
        if (d.Length < 8)
        {
            return -1;
        }

        bool little = d[0] == (byte)'I';
        uint U32(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
        ushort U16(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
        long ifd = U32(d[4..]);
        if (ifd + 2 > d.Length)
        {
            return -1;
        }

        int count = U16(d[(int)ifd..]);
        for (int i = 0; i < count && ifd + 2 + 12 * (i + 1) <= d.Length; i++)
        {
            ReadOnlySpan<byte> entry = d.Slice((int)ifd + 2 + 12 * i, 12);
            if (U16(entry) != wanted)
            {
                continue;
            }

            ushort type = U16(entry[2..]);
            int size = type switch { 3 => 2, 4 => 4, _ => 0 };
            if (size == 0)
            {
                return -1;
            }

            // Values that fit in four bytes are stored in the entry; longer arrays at the offset it holds.
            long at = U32(entry[4..]) * size <= 4 ? 0 : U32(entry[8..]);
            ReadOnlySpan<byte> value = at == 0 ? entry[8..] : at + size <= d.Length ? d[(int)at..] : [];
            return value.Length < size ? -1 : size == 2 ? U16(value) : U32(value);
        }

        return -1;
    }

    private static (int W, int H) PnmSize(ReadOnlySpan<byte> d)
    {
        // "P6", then width and height as decimal text, separated by whitespace and '#' comments.
        int i = 2;
        Span<long> size = stackalloc long[2];
        for (int field = 0; field < 2; field++)
        {
            while (i < d.Length && (d[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'#'))
            {
                if (d[i] == (byte)'#')
                {
                    while (i < d.Length && d[i] != (byte)'\n' && d[i] != (byte)'\r')
                    {
                        i++;
                    }
                }
                else
                {
                    i++;
                }
            }

            int start = i;
            while (i < d.Length && d[i] >= (byte)'0' && d[i] <= (byte)'9')
            {
                size[field] = Math.Min(size[field] * 10 + (d[i] - '0'), int.MaxValue);
                i++;
            }

            if (i == start)
            {
                return (0, 0);
            }
        }

        return (Clamp(size[0]), Clamp(size[1]));
    }

    private static (int W, int H) WebPSize(ReadOnlySpan<byte> d)
    {
        if (d.Length < 30)
        {
            return (0, 0);
        }

        ReadOnlySpan<byte> chunk = d[12..16];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            return (BinaryPrimitives.ReadUInt16LittleEndian(d[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(d[28..]) & 0x3FFF);
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(d[21..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            int w = 1 + (d[24] | (d[25] << 8) | (d[26] << 16));
            int h = 1 + (d[27] | (d[28] << 8) | (d[29] << 16));
            return (w, h);
        }

        return (0, 0);
    }
}
