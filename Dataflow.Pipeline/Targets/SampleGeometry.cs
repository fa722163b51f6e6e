using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// How one batch row's image came from its source image: the source's size, the row's size and the map between their pixels
/// (every resize, crop, pad, flip, rotation and warp composed), with helpers that take predictions back to source pixels.
/// </summary>
/// <remarks>For a letterboxed row the map is a scale and an offset: <see cref="BoxesToSource"/> is YOLO's "scale_boxes" un-mapping.
/// Coordinates are continuous pixels, as for <see cref="Affine2D"/>.</remarks>
public sealed class SampleGeometry
{
    /// <summary>Creates the geometry of a row.</summary>
    /// <param name="source">The full-size source image's size (targets' own space).</param>
    /// <param name="size">The row's image size.</param>
    /// <param name="toTensor">The map from source pixels to the row's pixels.</param>
    public SampleGeometry(Size source, Size size, Affine2D toTensor)
    {
        Source = source;
        Size = size;
        ToTensor = toTensor;
    }

    /// <summary>The source image's size.</summary>
    public Size Source { get; }

    /// <summary>The row's image size (the tensor's width and height).</summary>
    public Size Size { get; }

    /// <summary>The map from source pixels to the row's pixels.</summary>
    public Affine2D ToTensor { get; }

    /// <summary>The map from the row's pixels back to source pixels.</summary>
    /// <exception cref="InvalidOperationException">The map is singular.</exception>
    public Affine2D ToSource => ToTensor.Inverse();

    /// <summary>True when the row is mirrored relative to its source (an odd number of flips).</summary>
    public bool Mirrored => ToTensor.Mirrors;

    /// <summary>
    /// Maps boxes predicted on the row (four numbers each in <paramref name="format"/>, of the row's size) back to xyxy source
    /// pixels: each box's corners mapped, their bounds taken, clipped to the source image.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 4.</exception>
    public float[] BoxesToSource(ReadOnlySpan<float> boxes, BoxFormat format = default)
    {
        var xyxy = new float[boxes.Length];
        format.ToXyxy(boxes, xyxy, Size);
        Affine2D back = ToSource;
        for (int i = 0; i < xyxy.Length; i += 4)
        {
            (double ax, double ay) = back.Apply(xyxy[i], xyxy[i + 1]);
            (double bx, double by) = back.Apply(xyxy[i + 2], xyxy[i + 1]);
            (double cx, double cy) = back.Apply(xyxy[i], xyxy[i + 3]);
            (double dx, double dy) = back.Apply(xyxy[i + 2], xyxy[i + 3]);
            xyxy[i] = (float)Math.Clamp(Math.Min(Math.Min(ax, bx), Math.Min(cx, dx)), 0, Source.Width);
            xyxy[i + 1] = (float)Math.Clamp(Math.Min(Math.Min(ay, by), Math.Min(cy, dy)), 0, Source.Height);
            xyxy[i + 2] = (float)Math.Clamp(Math.Max(Math.Max(ax, bx), Math.Max(cx, dx)), 0, Source.Width);
            xyxy[i + 3] = (float)Math.Clamp(Math.Max(Math.Max(ay, by), Math.Max(cy, dy)), 0, Source.Height);
        }

        return xyxy;
    }

    /// <summary>Maps keypoints predicted on the row, (x, y, visibility) each, back to source pixels (visibility kept).</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 3.</exception>
    public float[] KeypointsToSource(ReadOnlySpan<float> keypoints)
    {
        if (keypoints.Length % 3 != 0)
        {
            throw new ArgumentException($"Keypoints take 3 numbers each (x, y, visibility), was {keypoints.Length}.", nameof(keypoints));
        }

        float[] result = keypoints.ToArray();
        Affine2D back = ToSource;
        for (int i = 0; i < result.Length; i += 3)
        {
            (double x, double y) = back.Apply(result[i], result[i + 1]);
            (result[i], result[i + 1]) = ((float)x, (float)y);
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Source.Width}x{Source.Height} → {Size.Width}x{Size.Height} by {ToTensor}";
}
