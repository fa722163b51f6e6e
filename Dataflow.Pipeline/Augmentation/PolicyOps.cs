using Dataflow.Pipeline.Decoding;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// The operations and magnitude bins of torchvision's automatic augmentation policies (<c>transforms/autoaugment.py</c>),
/// done with OpenCV, shared by <see cref="RandAugment"/>, <see cref="TrivialAugmentWide"/> and <see cref="AutoAugment"/>.
/// </summary>
internal static class PolicyOps
{
    /// <summary>The 14 operations RandAugment and TrivialAugmentWide choose from, in torchvision's order.</summary>
    public static readonly PolicyOperation[] RandomSpace =
    [
        PolicyOperation.Identity, PolicyOperation.ShearX, PolicyOperation.ShearY, PolicyOperation.TranslateX, PolicyOperation.TranslateY,
        PolicyOperation.Rotate, PolicyOperation.Brightness, PolicyOperation.Color, PolicyOperation.Contrast, PolicyOperation.Sharpness,
        PolicyOperation.Posterize, PolicyOperation.Solarize, PolicyOperation.AutoContrast, PolicyOperation.Equalize,
    ];

    /// <summary>True for the operations whose magnitude torchvision negates with probability 1/2.</summary>
    public static bool IsSigned(PolicyOperation op) => op is >= PolicyOperation.ShearX and <= PolicyOperation.Sharpness;

    /// <summary>
    /// <paramref name="magnitude"/>, negated with probability 1/2 for a signed operation (one draw from
    /// <paramref name="random"/>, and none for an unsigned one, as torchvision).
    /// </summary>
    public static double WithRandomSign(PolicyOperation op, double magnitude, SampleRandom random) =>
        IsSigned(op) && random.NextInt(2) == 1 ? -magnitude : magnitude;

    /// <summary>True for the operations that take a magnitude at all.</summary>
    public static bool HasMagnitude(PolicyOperation op) => op is >= PolicyOperation.ShearX and <= PolicyOperation.Solarize;

    /// <summary>
    /// The (unsigned) magnitude of <paramref name="op"/> in bin <paramref name="bin"/> of <paramref name="bins"/>: torchvision's
    /// RandAugment and AutoAugment space when <paramref name="wide"/> is false (shear 0.3, translation 150/331 of the side,
    /// rotation 30°, enhancements 0.9, posterize 8 to 4 bits), TrivialAugmentWide's when true (shear 0.99, translation 32 px,
    /// rotation 135°, enhancements 0.99, posterize 8 to 2 bits); solarize's threshold runs from 255 down to 0 in both.
    /// </summary>
    public static double Magnitude(PolicyOperation op, int bin, int bins, Size size, bool wide)
    {
        double t = (double)bin / (bins - 1);
        return op switch
        {
            PolicyOperation.ShearX or PolicyOperation.ShearY => t * (wide ? 0.99 : 0.3),
            PolicyOperation.TranslateX => t * (wide ? 32.0 : 150.0 / 331.0 * size.Width),
            PolicyOperation.TranslateY => t * (wide ? 32.0 : 150.0 / 331.0 * size.Height),
            PolicyOperation.Rotate => t * (wide ? 135.0 : 30.0),
            PolicyOperation.Brightness or PolicyOperation.Color or PolicyOperation.Contrast or PolicyOperation.Sharpness => t * (wide ? 0.99 : 0.9),
            // 8 − round(bin / ((bins − 1) / 4)), or / 6 for the wide space; Math.Round rounds half to even as torch.round does.
            PolicyOperation.Posterize => 8 - Math.Round(bin / ((bins - 1) / (wide ? 6.0 : 4.0))),
            // Exactly 255·(n − 1 − k)/(n − 1): 255·(1 − k/(n − 1)) in doubles lands a hair above an integer threshold
            // (187.00000000000003 at bin 8 of 31), which then leaves the pixels equal to it uninverted.
            PolicyOperation.Solarize => 255.0 * (bins - 1 - bin) / (bins - 1),
            _ => 0,
        };
    }

    /// <summary>
    /// Applies <paramref name="op"/> with the signed <paramref name="magnitude"/> to <paramref name="image"/>: geometric operations
    /// return a new Mat (uncovered pixels get <paramref name="fill"/>), the others change the image in place and return it.
    /// </summary>
    public static Mat Apply(Mat image, PolicyOperation op, double magnitude, InterpolationFlags interpolation, double fill, AugmentationContext context)
    {
        double m = magnitude;
        switch (op)
        {
            case PolicyOperation.ShearX:
                // torchvision shears about the image's top-left corner, which lies half a pixel before pixel (0, 0).
                return Warp(image, new AffineWarp(1, -m, -0.5 * m, 0, 1, 0), interpolation, fill, context);
            case PolicyOperation.ShearY:
                return Warp(image, new AffineWarp(1, 0, 0, -m, 1, -0.5 * m), interpolation, fill, context);
            case PolicyOperation.TranslateX:
                return Warp(image, new AffineWarp(1, 0, (int)m, 0, 1, 0), interpolation, fill, context);
            case PolicyOperation.TranslateY:
                return Warp(image, new AffineWarp(1, 0, 0, 0, 1, (int)m), interpolation, fill, context);
            case PolicyOperation.Rotate:
                return Warp(image, AffineWarp.About(image.Size(), m), interpolation, fill, context);
            case PolicyOperation.Brightness:
                image.ConvertTo(image, -1, 1 + m, 0);
                break;
            case PolicyOperation.Color when image.Channels() == 3:
                ColorJitter.AdjustSaturation(image, 1 + m, context.ColorMode);
                break;
            case PolicyOperation.Contrast:
                ColorJitter.AdjustContrast(image, 1 + m, context.ColorMode);
                break;
            case PolicyOperation.Sharpness:
                Sharpen(image, 1 + m);
                break;
            case PolicyOperation.Posterize:
                int keep = 0xFF00 >> (int)m;
                Lookup(image, v => (byte)(v & keep));
                break;
            case PolicyOperation.Solarize:
                Lookup(image, v => v >= m ? (byte)(255 - v) : (byte)v);
                break;
            case PolicyOperation.AutoContrast:
                PerChannel(image, AutoContrast);
                break;
            case PolicyOperation.Equalize:
                PerChannel(image, Equalize);
                break;
            case PolicyOperation.Invert:
                Cv2.BitwiseNot(image, image);
                break;
        }

        return image;
    }

    /// <summary>The operation's name and signed magnitude, for <c>ToString()</c> and test messages.</summary>
    public static string Describe(PolicyOperation op, double magnitude) =>
        HasMagnitude(op) ? $"{op}({AugmentationOps.Format(magnitude)})" : op.ToString();

    private static Mat Warp(Mat image, AffineWarp warp, InterpolationFlags interpolation, double fill, AugmentationContext context) =>
        warp.IsIdentity ? image : warp.Apply(image, interpolation, fill, context);

    private static void Sharpen(Mat image, double factor)
    {
        if (image.Width < 3 || image.Height < 3)
        {
            return;
        }

        // torchvision's degenerate image: the smoothed interior, the one-pixel border as it was.
        using var kernel = Mat.FromPixelData(3, 3, MatType.CV_32FC1, new float[] { 1, 1, 1, 1, 5, 1, 1, 1, 1 });
        using Mat scaled = kernel / 13.0;
        using Mat smooth = image.Clone();
        using var inner = new Mat(image, new Rect(1, 1, image.Width - 2, image.Height - 2));
        using var smoothInner = new Mat(smooth, new Rect(1, 1, image.Width - 2, image.Height - 2));
        using var filtered = new Mat();
        Cv2.Filter2D(image, filtered, -1, scaled, borderType: BorderTypes.Reflect101);
        using (var filteredInner = new Mat(filtered, new Rect(1, 1, image.Width - 2, image.Height - 2)))
        {
            filteredInner.CopyTo(smoothInner);
        }

        Cv2.AddWeighted(image, factor, smooth, 1 - factor, 0, image);
    }

    private static void Lookup(Mat image, Func<int, byte> map)
    {
        var table = new byte[256];
        for (int v = 0; v < 256; v++)
        {
            table[v] = map(v);
        }

        ApplyTable(image, table);
    }

    private static void ApplyTable(Mat image, byte[] table)
    {
        using var lut = Mat.FromPixelData(1, 256, MatType.CV_8UC1, table);
        Cv2.LUT(image, lut, image);
    }

    /// <summary>
    /// torchvision's equalize (PIL's <c>ImageOps.equalize</c>) of one 8-bit plane: with h the histogram, the pixels not at
    /// the plane's highest value counted in steps of ⌊(N − h[max]) / 255⌋, value v maps to ⌊(Σ h[0..v−1] + ⌊step/2⌋) / step⌋
    /// (at most 255); a plane whose step is 0 (almost all one value) is left as it is. OpenCV's <c>equalizeHist</c> instead
    /// leaves out the lowest value and rounds a scaled cumulative histogram, which is several levels away.
    /// </summary>
    private static unsafe void Equalize(Mat plane)
    {
        Span<long> histogram = stackalloc long[256];
        histogram.Clear();
        int rows = plane.Rows, cols = plane.Cols;
        for (int y = 0; y < rows; y++)
        {
            byte* p = (byte*)plane.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                histogram[p[x]]++;
            }
        }

        int highest = 255;
        while (highest > 0 && histogram[highest] == 0)
        {
            highest--;
        }

        long step = ((long)rows * cols - histogram[highest]) / 255;
        if (step == 0)
        {
            return;
        }

        var table = new byte[256];
        long below = 0;
        for (int v = 0; v < 256; v++)
        {
            table[v] = (byte)Math.Min(255, (below + step / 2) / step);
            below += histogram[v];
        }

        ApplyTable(plane, table);
    }

    private static void AutoContrast(Mat plane)
    {
        Cv2.MinMaxLoc(plane, out double min, out double max);
        if (max > min)
        {
            double scale = 255.0 / (max - min);
            plane.ConvertTo(plane, -1, scale, -min * scale);
        }
    }

    private static void PerChannel(Mat image, Action<Mat> operation)
    {
        if (image.Channels() == 1)
        {
            operation(image);
            return;
        }

        Mat[] planes = Cv2.Split(image);
        try
        {
            foreach (Mat plane in planes)
            {
                operation(plane);
            }

            Cv2.Merge(planes, image);
        }
        finally
        {
            foreach (Mat plane in planes)
            {
                plane.Dispose();
            }
        }
    }
}
