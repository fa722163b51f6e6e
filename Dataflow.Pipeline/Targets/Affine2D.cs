using System.Globalization;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// A 2-D affine map of pixel coordinates, x' = <see cref="M11"/> x + <see cref="M12"/> y + <see cref="M13"/>,
/// y' = <see cref="M21"/> x + <see cref="M22"/> y + <see cref="M23"/>: what a geometric transform does to an image.
/// </summary>
/// <remarks>Coordinates are continuous, as for boxes: an image spans [0, width] × [0, height] and pixel (i, j) has its centre at
/// (i + 0.5, j + 0.5). (OpenCV's warp matrices put pixel centres at whole numbers: <see cref="FromPixelCenters"/> converts.)</remarks>
/// <param name="M11">x' per x.</param>
/// <param name="M12">x' per y.</param>
/// <param name="M13">x' offset.</param>
/// <param name="M21">y' per x.</param>
/// <param name="M22">y' per y.</param>
/// <param name="M23">y' offset.</param>
public readonly record struct Affine2D(double M11, double M12, double M13, double M21, double M22, double M23)
{
    /// <summary>The map that changes nothing.</summary>
    public static Affine2D Identity => new(1, 0, 0, 0, 1, 0);

    /// <summary>Scales x by <paramref name="sx"/> and y by <paramref name="sy"/> about the origin (a resize of the whole image).</summary>
    public static Affine2D Scale(double sx, double sy) => new(sx, 0, 0, 0, sy, 0);

    /// <summary>Moves by (<paramref name="dx"/>, <paramref name="dy"/>) (a crop at (−dx, −dy), or padding).</summary>
    public static Affine2D Translation(double dx, double dy) => new(1, 0, dx, 0, 1, dy);

    /// <summary>
    /// The map that takes <paramref name="region"/> of an image onto a <paramref name="width"/> × <paramref name="height"/> image
    /// (a crop, then a resize of the crop).
    /// </summary>
    public static Affine2D RegionTo(OpenCvSharp.Rect region, int width, int height)
    {
        double sx = (double)width / region.Width, sy = (double)height / region.Height;
        return new Affine2D(sx, 0, -region.X * sx, 0, sy, -region.Y * sy);
    }

    /// <summary>The same map written for coordinates whose pixel centres are whole numbers (OpenCV's <c>warpAffine</c> matrix).</summary>
    public static Affine2D FromPixelCenters(double m11, double m12, double m13, double m21, double m22, double m23) =>
        // T(+0.5) · M · T(−0.5)
        new(m11, m12, m13 + 0.5 - 0.5 * (m11 + m12), m21, m22, m23 + 0.5 - 0.5 * (m21 + m22));

    /// <summary>This map for coordinates whose pixel centres are whole numbers (the matrix OpenCV's <c>warpAffine</c> takes).</summary>
    public Affine2D ToPixelCenters() =>
        new(M11, M12, M13 - 0.5 + 0.5 * (M11 + M12), M21, M22, M23 - 0.5 + 0.5 * (M21 + M22));

    /// <summary>The determinant of the linear part: negative when the map mirrors the image.</summary>
    public double Determinant => M11 * M22 - M12 * M21;

    /// <summary>True when the map mirrors (a flip): left and right keypoints change places.</summary>
    public bool Mirrors => Determinant < 0;

    /// <summary>Where the point (<paramref name="x"/>, <paramref name="y"/>) goes.</summary>
    public (double X, double Y) Apply(double x, double y) => (M11 * x + M12 * y + M13, M21 * x + M22 * y + M23);

    /// <summary>This map followed by <paramref name="next"/>.</summary>
    public Affine2D Then(in Affine2D next) => new(
        next.M11 * M11 + next.M12 * M21, next.M11 * M12 + next.M12 * M22, next.M11 * M13 + next.M12 * M23 + next.M13,
        next.M21 * M11 + next.M22 * M21, next.M21 * M12 + next.M22 * M22, next.M21 * M13 + next.M22 * M23 + next.M23);

    /// <summary>The map back.</summary>
    /// <exception cref="InvalidOperationException">The map is singular (it flattens the image).</exception>
    public Affine2D Inverse()
    {
        double det = Determinant;
        if (det == 0 || !double.IsFinite(det))
        {
            throw new InvalidOperationException($"The map {this} is singular and has no inverse.");
        }

        double i11 = M22 / det, i12 = -M12 / det, i21 = -M21 / det, i22 = M11 / det;
        return new Affine2D(i11, i12, -(i11 * M13 + i12 * M23), i21, i22, -(i21 * M13 + i22 * M23));
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"[{M11:0.####} {M12:0.####} {M13:0.####}; {M21:0.####} {M22:0.####} {M23:0.####}]");
}
