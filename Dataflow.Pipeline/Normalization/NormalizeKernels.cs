using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dataflow.Pipeline.Normalization;

/// <summary>
/// The row kernels of <see cref="Normalizer"/>: 8-bit pixels to <c>pixel × a[c] + b[c]</c> as float32, 16 pixels
/// per step with SIMD, in one pass that reads each byte once and writes each float once. A scalar loop finishes
/// each row (and does all of it where SIMD is missing); both compute the same float expression, so the result does
/// not depend on the path taken.
/// </summary>
/// <remarks>
/// The row kernels are precompiled in a ReadyToRun build (as a trainer is deployed): they are not marked for aggressive
/// optimization, which keeps a method out of the ReadyToRun image, and they call no vector method returning a tuple,
/// which ReadyToRun cannot compile a call to. Either made the kernels be compiled before the first batch (5–8 ms for
/// <see cref="Deinterleave3"/> alone). A build without ReadyToRun starts them as tier-0 code and replaces each long row
/// loop with optimised code while it runs (on-stack replacement), then recompiles them optimised (docs/dev/performance-log.md).
/// </remarks>
internal static unsafe class NormalizeKernels
{
    // For each channel of an interleaved 3-channel row: a pshufb mask per 16-byte load that gathers that channel's
    // bytes of 16 pixels (48 bytes) into place, zero (high bit set) where another load supplies the byte.
    private static readonly Vector128<byte>[] DeinterleaveMasks = CreateDeinterleaveMasks();

    /// <summary>One channel (or a plane): <paramref name="count"/> bytes to floats.</summary>
    public static void Plane(byte* source, float* destination, int count, float a, float b)
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> va = Vector128.Create(a), vb = Vector128.Create(b);
            for (; i + 16 <= count; i += 16)
            {
                Store16(*(Vector128<byte>*)(source + i), destination + i, va, vb, va, vb, va, vb, va, vb);
            }
        }

        for (; i < count; i++)
        {
            destination[i] = source[i] * a + b;
        }
    }

    /// <summary>An interleaved 3-channel row of <paramref name="width"/> pixels to interleaved floats (NHWC).</summary>
    public static void Interleaved3(byte* source, float* destination, int width, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int count = width * 3, i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // Floats j..j+3 of a 12-float period take the channels (j, j+1, j+2, j+3) mod 3.
            Vector128<float> a0 = Vector128.Create(a[0], a[1], a[2], a[0]), b0 = Vector128.Create(b[0], b[1], b[2], b[0]);
            Vector128<float> a1 = Vector128.Create(a[1], a[2], a[0], a[1]), b1 = Vector128.Create(b[1], b[2], b[0], b[1]);
            Vector128<float> a2 = Vector128.Create(a[2], a[0], a[1], a[2]), b2 = Vector128.Create(b[2], b[0], b[1], b[2]);
            for (; i + 48 <= count; i += 48)
            {
                Store16(*(Vector128<byte>*)(source + i), destination + i, a0, b0, a1, b1, a2, b2, a0, b0);
                Store16(*(Vector128<byte>*)(source + i + 16), destination + i + 16, a1, b1, a2, b2, a0, b0, a1, b1);
                Store16(*(Vector128<byte>*)(source + i + 32), destination + i + 32, a2, b2, a0, b0, a1, b1, a2, b2);
            }
        }

        for (; i < count; i++)
        {
            int c = i % 3;
            destination[i] = source[i] * a[c] + b[c];
        }
    }

    /// <summary>An interleaved 3-channel row to three planes (NCHW): channel c goes to <c>destination + c × planeLength</c>.</summary>
    public static void Deinterleave3(byte* source, float* destination, long planeLength, int width, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float* d0 = destination, d1 = destination + planeLength, d2 = destination + 2 * planeLength;
        int x = 0;
        if (Ssse3.IsSupported)
        {
            Vector128<float> a0 = Vector128.Create(a[0]), b0 = Vector128.Create(b[0]);
            Vector128<float> a1 = Vector128.Create(a[1]), b1 = Vector128.Create(b[1]);
            Vector128<float> a2 = Vector128.Create(a[2]), b2 = Vector128.Create(b[2]);
            Vector128<byte>[] m = DeinterleaveMasks;
            for (; x + 16 <= width; x += 16)
            {
                byte* s = source + 3 * x;
                Vector128<byte> v0 = *(Vector128<byte>*)(s), v1 = *(Vector128<byte>*)(s + 16), v2 = *(Vector128<byte>*)(s + 32);
                Vector128<byte> c0 = Ssse3.Shuffle(v0, m[0]) | Ssse3.Shuffle(v1, m[1]) | Ssse3.Shuffle(v2, m[2]);
                Vector128<byte> c1 = Ssse3.Shuffle(v0, m[3]) | Ssse3.Shuffle(v1, m[4]) | Ssse3.Shuffle(v2, m[5]);
                Vector128<byte> c2 = Ssse3.Shuffle(v0, m[6]) | Ssse3.Shuffle(v1, m[7]) | Ssse3.Shuffle(v2, m[8]);
                Store16(c0, d0 + x, a0, b0, a0, b0, a0, b0, a0, b0);
                Store16(c1, d1 + x, a1, b1, a1, b1, a1, b1, a1, b1);
                Store16(c2, d2 + x, a2, b2, a2, b2, a2, b2, a2, b2);
            }
        }

        for (; x < width; x++)
        {
            byte* s = source + 3 * x;
            d0[x] = s[0] * a[0] + b[0];
            d1[x] = s[1] * a[1] + b[1];
            d2[x] = s[2] * a[2] + b[2];
        }
    }

    /// <summary>
    /// An interleaved 3-channel row to three byte planes (NCHW, no conversion): channel c goes to
    /// <c>destination + c × planeLength</c>. The byte output's kernel: the same shuffles as <see cref="Deinterleave3"/>, stored as they are.
    /// </summary>
    public static void Deinterleave3Bytes(byte* source, byte* destination, long planeLength, int width)
    {
        byte* d0 = destination, d1 = destination + planeLength, d2 = destination + 2 * planeLength;
        int x = 0;
        if (Ssse3.IsSupported)
        {
            Vector128<byte>[] m = DeinterleaveMasks;
            for (; x + 16 <= width; x += 16)
            {
                byte* s = source + 3 * x;
                Vector128<byte> v0 = *(Vector128<byte>*)(s), v1 = *(Vector128<byte>*)(s + 16), v2 = *(Vector128<byte>*)(s + 32);
                *(Vector128<byte>*)(d0 + x) = Ssse3.Shuffle(v0, m[0]) | Ssse3.Shuffle(v1, m[1]) | Ssse3.Shuffle(v2, m[2]);
                *(Vector128<byte>*)(d1 + x) = Ssse3.Shuffle(v0, m[3]) | Ssse3.Shuffle(v1, m[4]) | Ssse3.Shuffle(v2, m[5]);
                *(Vector128<byte>*)(d2 + x) = Ssse3.Shuffle(v0, m[6]) | Ssse3.Shuffle(v1, m[7]) | Ssse3.Shuffle(v2, m[8]);
            }
        }

        for (; x < width; x++)
        {
            byte* s = source + 3 * x;
            d0[x] = s[0];
            d1[x] = s[1];
            d2[x] = s[2];
        }
    }

    /// <summary>16 bytes to 16 floats, each group of four with its own scale and offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16(Vector128<byte> v, float* d,
        Vector128<float> a0, Vector128<float> b0, Vector128<float> a1, Vector128<float> b1,
        Vector128<float> a2, Vector128<float> b2, Vector128<float> a3, Vector128<float> b3)
    {
        // WidenLower/WidenUpper rather than Widen: Widen returns a tuple of vectors, which ReadyToRun cannot precompile a
        // call to (its layout may change between runtime versions), so every kernel calling it was compiled at start-up.
        Vector128<ushort> lo = Vector128.WidenLower(v), hi = Vector128.WidenUpper(v);
        Vector128<uint> q0 = Vector128.WidenLower(lo), q1 = Vector128.WidenUpper(lo);
        Vector128<uint> q2 = Vector128.WidenLower(hi), q3 = Vector128.WidenUpper(hi);
        *(Vector128<float>*)(d) = Vector128.ConvertToSingle(q0.AsInt32()) * a0 + b0;
        *(Vector128<float>*)(d + 4) = Vector128.ConvertToSingle(q1.AsInt32()) * a1 + b1;
        *(Vector128<float>*)(d + 8) = Vector128.ConvertToSingle(q2.AsInt32()) * a2 + b2;
        *(Vector128<float>*)(d + 12) = Vector128.ConvertToSingle(q3.AsInt32()) * a3 + b3;
    }

    private static Vector128<byte>[] CreateDeinterleaveMasks()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> mask = stackalloc byte[16];
        for (int c = 0; c < 3; c++)
        {
            for (int load = 0; load < 3; load++)
            {
                for (int p = 0; p < 16; p++)
                {
                    int at = 3 * p + c;
                    mask[p] = at / 16 == load ? (byte)(at % 16) : (byte)0x80;
                }

                masks[3 * c + load] = Vector128.Create((ReadOnlySpan<byte>)mask);
            }
        }

        return masks;
    }
}
