using OpenCvSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>Draws a COCO annotation's mask, when it is asked for (masks are never all made at once).</summary>
/// <remarks>
/// <para>Polygons are filled with OpenCV (<c>Cv2.FillPoly</c>, 8-connected, with 8 bits of sub-pixel position), reading the
/// coordinates as pycocotools' <c>annToMask</c> does: pixel (x, y) is at point (x, y), and the pixels the outline passes
/// through are in the mask. A pixel is in when its point is inside the polygon or on its outline: the square
/// <c>[2, 2, 5, 2, 5, 4, 2, 4]</c> covers x 2 to 5 and y 2 to 4 (4 × 3 pixels), as in pycocotools. The parts of a
/// segmentation are a union (filled one by one, so overlaps are not holes).</para>
/// <para>Run-length encodings are decoded exactly (<see cref="CocoRle"/>): uncompressed counts and compressed strings alike.</para>
/// </remarks>
internal static class CocoMasks
{
    /// <summary>Sub-pixel bits of the points given to OpenCV.</summary>
    private const int Shift = 8;

    /// <summary>
    /// The mask of <paramref name="segmentation"/> over a <paramref name="height"/> × <paramref name="width"/> image: an 8-bit
    /// single-channel <see cref="Mat"/>, <paramref name="value"/> inside and 0 outside. The caller disposes it.
    /// </summary>
    /// <exception cref="ArgumentException">A run-length encoding is not the image's size, or its counts do not cover it.</exception>
    public static Mat Draw(CocoSegmentation segmentation, int height, int width, byte value = 1)
    {
        ArgumentNullException.ThrowIfNull(segmentation);
        if (segmentation.Polygons is float[][] polygons)
        {
            var mask = new Mat(height, width, MatType.CV_8UC1, Scalar.All(0));
            try
            {
                Fill(mask, polygons, value);
                return mask;
            }
            catch
            {
                mask.Dispose();
                throw;
            }
        }

        if (!segmentation.IsRle || segmentation.Size is not [int h, int w] || h != height || w != width)
        {
            throw new ArgumentException($"The segmentation is no {height}x{width} run-length encoding.", nameof(segmentation));
        }

        uint[] counts = segmentation.Counts ?? CocoRle.Decode(segmentation.CompressedCounts!);
        // Decoded down the columns: a width × height image of the transpose, turned back.
        using var columns = new Mat(width, height, MatType.CV_8UC1);
        unsafe
        {
            CocoRle.DecodeMask(counts, new Span<byte>((void*)columns.Data, height * width), value);
        }

        var result = new Mat();
        Cv2.Transpose(columns, result);
        return result;
    }

    /// <summary>Fills <paramref name="polygons"/> (COCO coordinates) into <paramref name="mask"/> with <paramref name="value"/>.</summary>
    public static void Fill(Mat mask, IReadOnlyList<float[]> polygons, byte value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(polygons);
        var contours = new Point[polygons.Count][];
        const double scale = 1 << Shift;
        for (int p = 0; p < polygons.Count; p++)
        {
            float[] xy = polygons[p];
            var points = new Point[xy.Length / 2];
            for (int i = 0; i < points.Length; i++)
            {
                points[i] = new Point((int)Math.Round(xy[2 * i] * scale), (int)Math.Round(xy[2 * i + 1] * scale));
            }

            contours[p] = points;
        }

        // Each polygon on its own (FillPoly of several would make their overlaps holes): COCO's parts are a union.
        foreach (Point[] contour in contours)
        {
            Cv2.FillPoly(mask, [contour], Scalar.All(value), LineTypes.Link8, Shift);
        }
    }
}
