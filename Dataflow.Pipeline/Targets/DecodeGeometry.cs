using System.Buffers.Binary;
using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>What a decode did, for targets to follow: the full-size source image's size and the map from its pixels to the result's.</summary>
internal sealed class DecodeGeometry
{
    /// <summary>The bytes <see cref="WriteTo"/> writes: what the decoded-image cache keeps beside each entry's pixels.</summary>
    public const int Bytes = 120;

    /// <summary>The full-size, oriented source image's size: the space of the sample's targets.</summary>
    public Size Source { get; set; }

    /// <summary>The size of a JPEG decoded at a reduction (libjpeg's DCT scaling), or null when it was decoded at full size.</summary>
    public Size? Reduced { get; set; }

    /// <summary>The map from source pixels to the reduced decode's (identity without one).</summary>
    public Affine2D Reduction { get; set; } = Affine2D.Identity;

    /// <summary>The map from the decoded image's pixels to the result's (the resize mode, or a fused source crop).</summary>
    public Affine2D Resize { get; set; } = Affine2D.Identity;

    /// <summary>True when the resize used OpenCV's nearest neighbour, which samples by pixel corners (see <see cref="TargetState.Apply"/>).</summary>
    public bool NearestFloor { get; set; }

    /// <summary>The whole map from source pixels to the result's.</summary>
    public Affine2D Map => Reduction.Then(Resize);

    /// <summary>Appends <paramref name="next"/> to <see cref="Resize"/>.</summary>
    public void Then(in Affine2D next) => Resize = Resize.Then(next);

    /// <summary>Writes the geometry into the first <see cref="Bytes"/> bytes of <paramref name="destination"/> (little-endian, the maps' doubles exactly).</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Bytes];
        destination.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(destination, Source.Width);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Source.Height);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Reduced?.Width ?? 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], Reduced?.Height ?? 0);
        Write(destination[16..], Reduction);
        Write(destination[64..], Resize);
        destination[112] = NearestFloor ? (byte)1 : (byte)0;
    }

    /// <summary>The geometry <see cref="WriteTo"/> wrote into <paramref name="source"/>.</summary>
    public static DecodeGeometry ReadFrom(ReadOnlySpan<byte> source)
    {
        int rw = BinaryPrimitives.ReadInt32LittleEndian(source[8..]), rh = BinaryPrimitives.ReadInt32LittleEndian(source[12..]);
        return new DecodeGeometry
        {
            Source = new Size(BinaryPrimitives.ReadInt32LittleEndian(source), BinaryPrimitives.ReadInt32LittleEndian(source[4..])),
            Reduced = rw == 0 ? null : new Size(rw, rh),
            Reduction = Read(source[16..]),
            Resize = Read(source[64..]),
            NearestFloor = source[112] == 1,
        };
    }

    private static void Write(Span<byte> destination, in Affine2D map)
    {
        ReadOnlySpan<double> values = [map.M11, map.M12, map.M13, map.M21, map.M22, map.M23];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(8 * i)..], values[i]);
        }
    }

    private static Affine2D Read(ReadOnlySpan<byte> source)
    {
        Span<double> v = stackalloc double[6];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]);
        }

        return new Affine2D(v[0], v[1], v[2], v[3], v[4], v[5]);
    }
}
