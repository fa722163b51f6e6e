using System.Text;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// COCO's run-length encoding of a binary mask, as pycocotools' <c>maskApi.c</c> defines it: the mask is read in
/// column-major order (down each column, left to right), and the counts alternate runs of 0 and 1, starting with 0
/// (a mask that starts with a 1 has a first count of 0).
/// </summary>
/// <remarks>
/// The compressed form (<c>rleToString</c> / <c>rleFrString</c>) writes each count, from the third on as the
/// difference to the count two before, as a little-endian sequence of 5-bit groups, each one character
/// <c>48 + group</c> with bit 0x20 set when more groups follow and bit 0x10 of the last group the sign.
/// </remarks>
internal static class CocoRle
{
    /// <summary>The counts of a compressed string.</summary>
    /// <exception cref="FormatException">A character is outside the codec's range, the string ends inside a count, or a count is negative or too large.</exception>
    public static uint[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new List<uint>(text.Length / 2 + 1);
        int p = 0;
        while (p < text.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= text.Length)
                {
                    throw new FormatException($"the string ends inside count {counts.Count + 1}");
                }

                int c = text[p] - 48;
                if (c is < 0 or > 0x3f)
                {
                    throw new FormatException($"character '{text[p]}' at {p} is not one of the codec's ('0' to 'o')");
                }

                if (k > 12)
                {
                    throw new FormatException($"count {counts.Count + 1} has more than 13 groups");
                }

                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                {
                    x |= -1L << (5 * k);
                }
            }

            if (counts.Count > 2)
            {
                x += counts[^2];
            }

            if (x is < 0 or > uint.MaxValue)
            {
                throw new FormatException($"count {counts.Count + 1} is {x}");
            }

            counts.Add((uint)x);
        }

        return [.. counts];
    }

    /// <summary>The compressed string of <paramref name="counts"/>.</summary>
    public static string Encode(ReadOnlySpan<uint> counts)
    {
        var text = new StringBuilder(counts.Length * 2);
        for (int i = 0; i < counts.Length; i++)
        {
            long x = counts[i];
            if (i > 2)
            {
                x -= counts[i - 2];
            }

            bool more = true;
            while (more)
            {
                int c = (int)(x & 0x1f);
                // Arithmetic shift: a negative difference ends in a run of sign bits.
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more)
                {
                    c |= 0x20;
                }

                text.Append((char)(c + 48));
            }
        }

        return text.ToString();
    }

    /// <summary>The counts of a mask given in column-major order (any non-zero byte is 1).</summary>
    public static uint[] EncodeMask(ReadOnlySpan<byte> columnMajor)
    {
        var counts = new List<uint>();
        byte current = 0;
        uint run = 0;
        foreach (byte value in columnMajor)
        {
            byte bit = value == 0 ? (byte)0 : (byte)1;
            if (bit != current)
            {
                counts.Add(run);
                run = 0;
                current = bit;
            }

            run++;
        }

        counts.Add(run);
        return [.. counts];
    }

    /// <summary>The sum of <paramref name="counts"/> (the mask's pixels).</summary>
    public static long Sum(ReadOnlySpan<uint> counts)
    {
        long sum = 0;
        foreach (uint count in counts)
        {
            sum += count;
        }

        return sum;
    }

    /// <summary>
    /// Writes the mask of <paramref name="counts"/> into <paramref name="columnMajor"/> in column-major order (as the
    /// counts run), <paramref name="one"/> for 1 and 0 for 0.
    /// </summary>
    /// <exception cref="ArgumentException">The counts do not sum to the length of <paramref name="columnMajor"/>.</exception>
    public static void DecodeMask(ReadOnlySpan<uint> counts, Span<byte> columnMajor, byte one = 1)
    {
        long sum = Sum(counts);
        if (sum != columnMajor.Length)
        {
            throw new ArgumentException($"RLE counts sum to {sum}, the mask has {columnMajor.Length} pixels.", nameof(counts));
        }

        int position = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            int run = (int)counts[i];
            columnMajor.Slice(position, run).Fill((i & 1) == 1 ? one : (byte)0);
            position += run;
        }
    }
}
