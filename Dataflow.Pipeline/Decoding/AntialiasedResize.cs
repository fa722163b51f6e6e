using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Dataflow.Pipeline.Decoding;

/// <summary>
/// Pillow's bilinear resize (<c>Image.resize(size, Image.BILINEAR)</c>, what torchvision's <c>Resize</c> runs on a PIL
/// image): a triangle filter whose support widens with the downscale factor, so that every source pixel under an
/// output pixel counts (antialiasing), where OpenCV's bilinear reads only the two nearest per axis.
/// </summary>
/// <remarks>
/// The same arithmetic as Pillow's <c>Resample.c</c>: per axis, each output pixel's weights over the source pixels
/// within the support, normalised to 1 and rounded to 22-bit fixed point; a horizontal pass into 8-bit rows, then a
/// vertical pass, each rounding half up and clamping to 0–255. The same 8-bit input thus gives Pillow's pixels, bit
/// for bit. Upscaling is plain bilinear with Pillow's rounding.
/// </remarks>
internal static unsafe class AntialiasedResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>A new Mat of <paramref name="size"/> resized from <paramref name="src"/> (8-bit, any channel count, any row step).</summary>
    public static Mat Resize(Mat src, Size size)
    {
        if (src.Depth() != MatType.CV_8U)
        {
            throw new InvalidOperationException($"The antialiased resize takes 8-bit images, was given depth {src.Depth()}.");
        }

        int channels = src.Channels();
        int inWidth = src.Width, inHeight = src.Height;
        var dst = new Mat(size.Height, size.Width, src.Type());
        try
        {
            bool horizontal = size.Width != inWidth, vertical = size.Height != inHeight;
            Filter columns = Filter.For(inWidth, size.Width), rows = Filter.For(inHeight, size.Height);
            byte* source = (byte*)src.DataPointer;
            long sourceStep = src.Step();
            if (!horizontal && !vertical)
            {
                src.CopyTo(dst);
                return dst;
            }

            if (!vertical)
            {
                Horizontal(source, sourceStep, 0, inHeight, (byte*)dst.DataPointer, dst.Step(), size.Width, channels, columns);
                return dst;
            }

            if (!horizontal)
            {
                Vertical(source, sourceStep, 0, (byte*)dst.DataPointer, dst.Step(), size.Width * channels, size.Height, rows);
                return dst;
            }

            // Only the source rows that the vertical pass reads go through the horizontal one.
            int first = rows.Bounds[0], last = rows.Bounds[2 * (size.Height - 1)] + rows.Bounds[(2 * (size.Height - 1)) + 1];
            long tempStep = (long)size.Width * channels;
            byte[] temp = GC.AllocateUninitializedArray<byte>((int)(tempStep * (last - first)));
            fixed (byte* t = temp)
            {
                Horizontal(source, sourceStep, first, last, t, tempStep, size.Width, channels, columns);
                Vertical(t, tempStep, first, (byte*)dst.DataPointer, dst.Step(), size.Width * channels, size.Height, rows);
            }

            return dst;
        }
        catch
        {
            dst.Dispose();
            throw;
        }
    }

    // Optimized from the first call: a run resizes every image here, and tiered compilation would start them unoptimized.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Horizontal(byte* source, long sourceStep, int firstRow, int lastRow, byte* target, long targetStep, int width, int channels, Filter filter)
    {
        int ksize = filter.KernelSize;
        fixed (int* coefficients = filter.Coefficients)
        {
            for (int y = firstRow; y < lastRow; y++)
            {
                byte* inRow = source + (y * sourceStep);
                byte* outRow = target + ((y - firstRow) * targetStep);
                for (int x = 0; x < width; x++)
                {
                    int xmin = filter.Bounds[2 * x], count = filter.Bounds[(2 * x) + 1];
                    int* k = coefficients + (x * ksize);
                    for (int c = 0; c < channels; c++)
                    {
                        int sum = 1 << (PrecisionBits - 1);
                        byte* p = inRow + (xmin * channels) + c;
                        for (int i = 0; i < count; i++)
                        {
                            sum += p[i * channels] * k[i];
                        }

                        outRow[(x * channels) + c] = Clip(sum);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vertical(byte* source, long sourceStep, int firstRow, byte* target, long targetStep, int rowBytes, int height, Filter filter)
    {
        int ksize = filter.KernelSize;
        fixed (int* coefficients = filter.Coefficients)
        {
            for (int y = 0; y < height; y++)
            {
                int ymin = filter.Bounds[2 * y] - firstRow, count = filter.Bounds[(2 * y) + 1];
                int* k = coefficients + (y * ksize);
                byte* outRow = target + (y * targetStep);
                for (int x = 0; x < rowBytes; x++)
                {
                    int sum = 1 << (PrecisionBits - 1);
                    byte* p = source + (ymin * sourceStep) + x;
                    for (int i = 0; i < count; i++)
                    {
                        sum += p[i * sourceStep] * k[i];
                    }

                    outRow[x] = Clip(sum);
                }
            }
        }
    }

    private static byte Clip(int sum)
    {
        int v = sum >> PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    /// <summary>One axis's weights: per output pixel, the first source pixel, how many, and their fixed-point weights.</summary>
    private sealed class Filter(int[] bounds, int[] coefficients, int kernelSize)
    {
        public int[] Bounds { get; } = bounds;

        public int[] Coefficients { get; } = coefficients;

        public int KernelSize { get; } = kernelSize;

        /// <summary>Pillow's <c>precompute_coeffs</c> and <c>normalize_coeffs_8bpc</c> for the bilinear (triangle) filter of support 1.</summary>
        public static Filter For(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = filterScale;
            int ksize = ((int)Math.Ceiling(support) * 2) + 1;
            var bounds = new int[outSize * 2];
            var coefficients = new int[outSize * ksize];
            var weights = new double[ksize];
            for (int x = 0; x < outSize; x++)
            {
                double center = (x + 0.5) * scale;
                double total = 0.0, ss = 1.0 / filterScale;
                // (int) truncates towards zero, as C's cast does.
                int xmin = Math.Max((int)(center - support + 0.5), 0);
                int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
                for (int i = 0; i < xmax; i++)
                {
                    double w = Math.Abs((i + xmin - center + 0.5) * ss);
                    w = w < 1.0 ? 1.0 - w : 0.0;
                    weights[i] = w;
                    total += w;
                }

                for (int i = 0; i < xmax; i++)
                {
                    double w = total != 0.0 ? weights[i] / total : weights[i];
                    coefficients[(x * ksize) + i] = w < 0 ? (int)(-0.5 + (w * (1 << PrecisionBits))) : (int)(0.5 + (w * (1 << PrecisionBits)));
                }

                bounds[2 * x] = xmin;
                bounds[(2 * x) + 1] = xmax;
            }

            return new Filter(bounds, coefficients, ksize);
        }
    }
}
