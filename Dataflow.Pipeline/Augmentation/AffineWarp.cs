using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>A 2×3 affine map about the image centre, composed from its parts and applied with OpenCV's <c>warpAffine</c>.</summary>
internal readonly record struct AffineWarp(double A, double B, double C, double D, double E, double F)
{
    /// <summary>
    /// The map that scales by <paramref name="scale"/>, shears by <paramref name="shearX"/> and <paramref name="shearY"/>
    /// degrees, rotates counter-clockwise by <paramref name="degrees"/> (as displayed, y down), all about the centre of a
    /// <paramref name="size"/> image, then translates by (<paramref name="tx"/>, <paramref name="ty"/>) pixels.
    /// </summary>
    public static AffineWarp About(Size size, double degrees, double tx = 0, double ty = 0, double scale = 1, double shearX = 0, double shearY = 0)
    {
        double cx = (size.Width - 1) / 2.0, cy = (size.Height - 1) / 2.0;
        double a = degrees * Math.PI / 180.0, cos = Math.Cos(a), sin = Math.Sin(a);
        double kx = Math.Tan(shearX * Math.PI / 180.0), ky = Math.Tan(shearY * Math.PI / 180.0);

        // Linear part: rotation · shear · scale, with rotation [[cos, sin], [-sin, cos]] in y-down coordinates.
        double s00 = scale * (1 + kx * ky), s01 = scale * kx;
        double s10 = scale * ky, s11 = scale;
        double a00 = cos * s00 + sin * s10, a01 = cos * s01 + sin * s11;
        double a10 = -sin * s00 + cos * s10, a11 = -sin * s01 + cos * s11;
        return new AffineWarp(a00, a01, cx + tx - a00 * cx - a01 * cy, a10, a11, cy + ty - a10 * cx - a11 * cy);
    }

    /// <summary>True when the map leaves every pixel where it is.</summary>
    public bool IsIdentity => A == 1 && B == 0 && C == 0 && D == 0 && E == 1 && F == 0;

    /// <summary>The 2×3 matrix OpenCV's <c>warpAffine</c> takes, a new Mat the caller disposes.</summary>
    public static Mat Matrix(double a, double b, double c, double d, double e, double f)
    {
        var matrix = new Mat(2, 3, MatType.CV_64FC1);
        matrix.Set(0, 0, a);
        matrix.Set(0, 1, b);
        matrix.Set(0, 2, c);
        matrix.Set(1, 0, d);
        matrix.Set(1, 1, e);
        matrix.Set(1, 2, f);
        return matrix;
    }

    /// <summary>Warps <paramref name="image"/> into a new Mat of the same size, filling uncovered pixels with <paramref name="fill"/>.</summary>
    /// <remarks>Reports the warp to <paramref name="context"/>, so that the sample's targets move with it.</remarks>
    public Mat Apply(Mat image, InterpolationFlags interpolation, double fill, AugmentationContext context)
    {
        // warpAffine's matrix maps pixel centres at whole numbers; targets use continuous coordinates.
        context.RecordGeometry(Targets.Affine2D.FromPixelCenters(A, B, C, D, E, F), image.Size());
        using Mat matrix = Matrix(A, B, C, D, E, F);
        var dst = new Mat();
        try
        {
            Cv2.WarpAffine(image, dst, matrix, image.Size(), interpolation, BorderTypes.Constant, Scalar.All(fill));
            return dst;
        }
        catch
        {
            dst.Dispose();
            throw;
        }
    }
}
