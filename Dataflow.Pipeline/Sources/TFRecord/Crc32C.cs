using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord framing uses it, with TensorFlow's mask. The
/// processor's CRC-32C instruction where there is one (SSE 4.2, ARMv8 CRC), else a table.
/// </summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78;

    private static readonly uint[] Table = MakeTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            crc = (uint)wide;
        }
        else if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
        }

        foreach (byte b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>TensorFlow's masked CRC: rotated right by 15 bits, plus 0xA282EAD8 (a CRC of data holding CRCs stays useful).</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
    }

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
