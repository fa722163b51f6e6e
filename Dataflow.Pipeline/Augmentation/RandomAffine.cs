using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// A random affine transform about the image centre: rotation, translation, scale and shear, each drawn uniformly
/// from its range (torchvision <c>RandomAffine</c>). The image keeps its size; uncovered pixels get <see cref="Fill"/>.
/// </summary>
/// <remarks>Parameters are drawn in the order rotation, translation x, translation y, scale, shear x, shear y.
/// When they add up to the identity the image is returned untouched.</remarks>
public sealed class RandomAffine : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="degrees">Range of rotation angles (counter-clockwise), within [-360, 360]; null for none.</param>
    /// <param name="translate">Largest shift as a fraction of the width and of the height, each in [0, 1]; null for none.</param>
    /// <param name="scale">Range of scale factors, within (0, 10]; null for none.</param>
    /// <param name="shear">Range of shear angles along x, in degrees, within [-89, 89]; null for none.</param>
    /// <param name="shearY">Range of shear angles along y, in degrees, within [-89, 89]; null for none.</param>
    /// <param name="fill">Value of the uncovered pixels, 0 to 255, on every channel.</param>
    /// <param name="interpolation">Resampling.</param>
    /// <param name="p">Probability of transforming, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public RandomAffine((double Min, double Max)? degrees = null, (double X, double Y)? translate = null, (double Min, double Max)? scale = null,
        (double Min, double Max)? shear = null, (double Min, double Max)? shearY = null, double fill = 0,
        Interpolation interpolation = Interpolation.Bilinear, double p = 1.0)
    {
        Degrees = degrees ?? (0, 0);
        Translate = translate ?? (0, 0);
        Scale = scale ?? (1, 1);
        Shear = shear ?? (0, 0);
        ShearY = shearY ?? (0, 0);
        Guard.Range(Degrees.Min, Degrees.Max, -360, 360, nameof(degrees));
        Guard.InRange(Translate.X, 0, 1, nameof(translate) + ".X");
        Guard.InRange(Translate.Y, 0, 1, nameof(translate) + ".Y");
        Guard.Range(Scale.Min, Scale.Max, 0, 10, nameof(scale), minExclusive: true);
        Guard.Range(Shear.Min, Shear.Max, -89, 89, nameof(shear));
        Guard.Range(ShearY.Min, ShearY.Max, -89, 89, nameof(shearY));
        Guard.InRange(fill, 0, 255, nameof(fill));
        Guard.Defined(interpolation, nameof(interpolation));
        Guard.Probability(p, nameof(p));
        Fill = fill;
        Interpolation = interpolation;
        P = p;
    }

    /// <summary>Range of rotation angles in degrees.</summary>
    /// <value>(0, 0) by default.</value>
    public (double Min, double Max) Degrees { get; }

    /// <summary>Largest shift as fractions of width and height; the shift is uniform in [-X·width, X·width] and likewise for y.</summary>
    /// <value>(0, 0) by default.</value>
    public (double X, double Y) Translate { get; }

    /// <summary>Range of scale factors.</summary>
    /// <value>(1, 1) by default.</value>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of x shear angles in degrees.</summary>
    /// <value>(0, 0) by default.</value>
    public (double Min, double Max) Shear { get; }

    /// <summary>Range of y shear angles in degrees.</summary>
    /// <value>(0, 0) by default.</value>
    public (double Min, double Max) ShearY { get; }

    /// <summary>Value of the uncovered pixels.</summary>
    /// <value>0 by default.</value>
    public double Fill { get; }

    /// <summary>Resampling.</summary>
    /// <value><see cref="Interpolation.Bilinear"/> by default.</value>
    public Interpolation Interpolation { get; }

    /// <summary>Probability of transforming.</summary>
    /// <value>1 by default.</value>
    public double P { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        SampleRandom random = context.Random;
        bool apply = random.Chance(P);
        double angle = random.Uniform(Degrees.Min, Degrees.Max);
        double maxX = Translate.X * image.Width, maxY = Translate.Y * image.Height;
        double tx = Math.Round(random.Uniform(-maxX, maxX));
        double ty = Math.Round(random.Uniform(-maxY, maxY));
        double scale = random.Uniform(Scale.Min, Scale.Max);
        double shearX = random.Uniform(Shear.Min, Shear.Max);
        double shearY = random.Uniform(ShearY.Min, ShearY.Max);
        AffineWarp warp = AffineWarp.About(image.Size(), angle, tx, ty, scale, shearX, shearY);
        if (!apply || warp.IsIdentity)
        {
            return image;
        }

        return warp.Apply(image, ImageDecoder.ToOpenCv(Interpolation), Fill, context);
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"RandomAffine(degrees={AugmentationOps.Format(Degrees)}, translate={AugmentationOps.Format(Translate)}, scale={AugmentationOps.Format(Scale)}, " +
        $"shear={AugmentationOps.Format(Shear)}, shearY={AugmentationOps.Format(ShearY)}, fill={AugmentationOps.Format(Fill)}, interpolation={Interpolation}, p={AugmentationOps.Format(P)})";
}
