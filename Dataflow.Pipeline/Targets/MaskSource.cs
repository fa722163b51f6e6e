using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>The library's <see cref="IMaskSource"/>s: from encoded bytes, from a label map in memory, from polygons, from a delegate.</summary>
public static class MaskSource
{
    /// <summary>A mask decoded from an encoded 8-bit, 1-channel image (PNG) when the sample is read.</summary>
    /// <param name="bytes">The encoded image; not copied, so it must not change.</param>
    /// <param name="name">What names the mask in errors (its file), or null.</param>
    public static IMaskSource FromEncoded(ReadOnlyMemory<byte> bytes, string? name = null) => new Encoded(bytes, name);

    /// <summary>A mask held in memory: <paramref name="width"/> × <paramref name="height"/> bytes, row after row (copied).</summary>
    /// <exception cref="ArgumentException">The length is not width × height.</exception>
    public static IMaskSource FromLabelMap(ReadOnlySpan<byte> pixels, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.Length != (long)width * height)
        {
            throw new ArgumentException($"A {width}x{height} label map takes {(long)width * height} bytes, was {pixels.Length}.", nameof(pixels));
        }

        return new LabelMap(pixels.ToArray(), width, height);
    }

    /// <summary>
    /// A mask rasterized from polygons in source pixels when the sample is read: <paramref name="value"/> inside any of them
    /// (each polygon is filled on its own, so where two overlap stays inside), 0 elsewhere.
    /// </summary>
    /// <param name="polygons">Each polygon as x, y pairs (COCO's segmentation lists), at least 3 points.</param>
    /// <param name="value">The value inside, 1 to 255.</param>
    /// <param name="normalized">True when x and y are divided by the image's width and height.</param>
    /// <remarks>A pixel is inside when its centre is (a square on pixel edges fills exactly its pixels); edges can differ by a
    /// pixel from COCO's own rasterizer, which rounds differently.</remarks>
    /// <exception cref="ArgumentException">A polygon has an odd count, fewer than 3 points, or a number that is not finite.</exception>
    public static IMaskSource FromPolygons(IReadOnlyList<float[]> polygons, byte value = 1, bool normalized = false)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        ArgumentOutOfRangeException.ThrowIfZero(value);
        var copies = new float[polygons.Count][];
        for (int i = 0; i < polygons.Count; i++)
        {
            float[] polygon = polygons[i] ?? throw new ArgumentException($"Polygon {i} is null.", nameof(polygons));
            if (polygon.Length % 2 != 0 || polygon.Length < 6 || !Array.TrueForAll(polygon, float.IsFinite))
            {
                throw new ArgumentException($"Polygon {i} has {polygon.Length} numbers: it needs x, y pairs of finite numbers, at least 3 points.", nameof(polygons));
            }

            copies[i] = (float[])polygon.Clone();
        }

        return new Polygons(copies, value, normalized);
    }

    /// <summary>A mask made by <paramref name="render"/>, which must return a new 8-bit, 1-channel Mat of the size it is given.</summary>
    public static IMaskSource FromDelegate(Func<Size, Mat> render)
    {
        ArgumentNullException.ThrowIfNull(render);
        return new Delegated(render);
    }

    /// <summary>Renders <paramref name="source"/> at <paramref name="size"/> and checks what came back: 8-bit, 1 channel, that size.</summary>
    internal static Mat RenderChecked(IMaskSource source, Size size)
    {
        Mat mask = source.Render(size) ?? throw new InvalidDataException($"Mask source '{source}' returned null.");
        if (mask.IsDisposed || mask.Type() != MatType.CV_8UC1 || mask.Size() != size)
        {
            string what = mask.IsDisposed ? "a disposed Mat" : $"a {mask.Width}x{mask.Height} {mask.Type()} Mat";
            mask.Dispose();
            throw new InvalidDataException($"Mask '{source}' gave {what}; the image is {size.Width}x{size.Height} and a mask is 8-bit, 1 channel, of its size.");
        }

        return mask;
    }

    private sealed class Encoded(ReadOnlyMemory<byte> bytes, string? name) : IMaskSource
    {
        public Mat Render(Size size)
        {
            Mat mask = Cv2.ImDecode(bytes.Span, ImreadModes.Unchanged);
            if (mask.Empty() || mask.Type() != MatType.CV_8UC1 || mask.Size() != size)
            {
                string what = mask.Empty() ? $"cannot be decoded ({bytes.Length} bytes)" : $"is {mask.Width}x{mask.Height} {mask.Type()}";
                mask.Dispose();
                throw new InvalidDataException($"Mask '{this}' {what}; the image is {size.Width}x{size.Height} and a mask is 8-bit, 1 channel, of its size.");
            }

            return mask;
        }

        public override string ToString() => name ?? $"encoded mask ({bytes.Length} bytes)";
    }

    private sealed class LabelMap(byte[] pixels, int width, int height) : IMaskSource
    {
        public Mat Render(Size size)
        {
            if (size != new Size(width, height))
            {
                throw new InvalidDataException($"Mask '{this}' is {width}x{height}; the image is {size.Width}x{size.Height}.");
            }

            var mask = new Mat(height, width, MatType.CV_8UC1);
            pixels.AsSpan().CopyTo(mask.AsSpan<byte>());
            return mask;
        }

        public override string ToString() => $"label map {width}x{height}";
    }

    private sealed class Polygons(float[][] polygons, byte value, bool normalized) : IMaskSource
    {
        public Mat Render(Size size)
        {
            var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
            try
            {
                float sx = normalized ? size.Width : 1f, sy = normalized ? size.Height : 1f;
                Span<byte> pixels = mask.AsSpan<byte>();
                var crossings = new List<double>();
                foreach (float[] polygon in polygons)
                {
                    Fill(polygon, sx, sy, size, pixels, crossings);
                }

                return mask;
            }
            catch
            {
                mask.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Scan-line fill (even–odd within the polygon): on each row, the pixels whose centre lies between a pair of the
        /// polygon's crossings of the line through the row's centres. Exact, so a square on pixel edges fills exactly its pixels.
        /// </summary>
        private void Fill(float[] polygon, float sx, float sy, Size size, Span<byte> pixels, List<double> crossings)
        {
            int n = polygon.Length / 2;
            double top = double.MaxValue, bottom = double.MinValue;
            for (int i = 0; i < n; i++)
            {
                top = Math.Min(top, polygon[2 * i + 1] * sy);
                bottom = Math.Max(bottom, polygon[2 * i + 1] * sy);
            }

            int firstRow = Math.Max(0, (int)Math.Ceiling(top - 0.5)), lastRow = Math.Min(size.Height - 1, (int)Math.Floor(bottom - 0.5));
            for (int row = firstRow; row <= lastRow; row++)
            {
                double y = row + 0.5;
                crossings.Clear();
                for (int i = 0, j = n - 1; i < n; j = i++)
                {
                    double xi = polygon[2 * i] * sx, yi = polygon[2 * i + 1] * sy, xj = polygon[2 * j] * sx, yj = polygon[2 * j + 1] * sy;
                    // Half-open in y, so a vertex on the line counts once.
                    if ((yi <= y) != (yj <= y))
                    {
                        crossings.Add(xi + (y - yi) / (yj - yi) * (xj - xi));
                    }
                }

                crossings.Sort();
                for (int k = 0; k + 1 < crossings.Count; k += 2)
                {
                    // Pixels whose centre x + 0.5 lies in [left, right).
                    int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5));
                    int to = Math.Min(size.Width - 1, (int)Math.Ceiling(crossings[k + 1] - 0.5) - 1);
                    if (from <= to)
                    {
                        pixels.Slice(row * size.Width + from, to - from + 1).Fill(value);
                    }
                }
            }
        }

        public override string ToString() => $"{polygons.Length} polygons";
    }

    private sealed class Delegated(Func<Size, Mat> render) : IMaskSource
    {
        public Mat Render(Size size) => render(size);

        public override string ToString() => "mask from a delegate";
    }
}
