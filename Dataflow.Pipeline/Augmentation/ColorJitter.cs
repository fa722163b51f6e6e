using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// Randomly changes brightness, contrast, saturation and hue, in a random order per image
/// (torchvision <c>ColorJitter</c>; Keras <c>RandomBrightness</c>/<c>RandomContrast</c>).
/// </summary>
/// <remarks>
/// <para>Brightness, contrast and saturation factors are drawn uniformly from [max(0, 1 − v), 1 + v]:
/// brightness scales every value (a blend with black); contrast blends with the mean luma of the image;
/// saturation blends with the image's luma (gray) version. The hue is shifted by a fraction of the colour
/// circle drawn uniformly from [−hue, hue], through OpenCV's full-range 8-bit HSV (256 hue steps).</para>
/// <para>Saturation and hue leave 1-channel images unchanged. Luma follows the context's channel order
/// (<see cref="AugmentationContext.ColorMode"/>). Results are rounded and saturated to [0, 255].</para>
/// </remarks>
public sealed class ColorJitter : IAugmentation
{
    /// <summary>Creates the transform; a zero leaves that property alone.</summary>
    /// <param name="brightness">Brightness jitter, 0 to 100: the factor is in [max(0, 1 − b), 1 + b].</param>
    /// <param name="contrast">Contrast jitter, 0 to 100.</param>
    /// <param name="saturation">Saturation jitter, 0 to 100.</param>
    /// <param name="hue">Hue jitter as a fraction of the colour circle, 0 to 0.5.</param>
    /// <param name="p">Probability of jittering, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0, double p = 1.0)
    {
        Guard.InRange(brightness, 0, 100, nameof(brightness));
        Guard.InRange(contrast, 0, 100, nameof(contrast));
        Guard.InRange(saturation, 0, 100, nameof(saturation));
        Guard.InRange(hue, 0, 0.5, nameof(hue));
        Guard.Probability(p, nameof(p));
        Brightness = brightness;
        Contrast = contrast;
        Saturation = saturation;
        Hue = hue;
        P = p;
    }

    /// <summary>Brightness jitter.</summary>
    /// <value>0 by default.</value>
    public double Brightness { get; }

    /// <summary>Contrast jitter.</summary>
    /// <value>0 by default.</value>
    public double Contrast { get; }

    /// <summary>Saturation jitter.</summary>
    /// <value>0 by default.</value>
    public double Saturation { get; }

    /// <summary>Hue jitter, as a fraction of the colour circle.</summary>
    /// <value>0 by default.</value>
    public double Hue { get; }

    /// <summary>Probability of jittering.</summary>
    /// <value>1 by default.</value>
    public double P { get; }

    /// <inheritdoc />
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        SampleRandom random = context.Random;
        if (!random.Chance(P))
        {
            return image;
        }

        Span<int> order = [0, 1, 2, 3];
        random.Shuffle(order);
        foreach (int step in order)
        {
            // Each step works in place on the pipeline's image; the temporaries are its own.
            switch (step)
            {
                case 0 when Brightness > 0:
                    image.ConvertTo(image, -1, Factor(random, Brightness), 0);
                    break;
                case 1 when Contrast > 0:
                    AdjustContrast(image, Factor(random, Contrast), context.ColorMode);
                    break;
                case 2 when Saturation > 0 && image.Channels() == 3:
                    AdjustSaturation(image, Factor(random, Saturation), context.ColorMode);
                    break;
                case 3 when Hue > 0 && image.Channels() == 3:
                    ShiftHue(image, random.Uniform(-Hue, Hue), context.ColorMode);
                    break;
            }
        }

        return image;
    }

    private static double Factor(SampleRandom random, double jitter) => random.Uniform(Math.Max(0, 1 - jitter), 1 + jitter);

    internal static void AdjustContrast(Mat image, double factor, ColorMode colorMode)
    {
        double mean;
        if (image.Channels() == 3)
        {
            using Mat gray = AugmentationOps.ToGray(image, colorMode);
            mean = Cv2.Mean(gray).Val0;
        }
        else
        {
            mean = Cv2.Mean(image).Val0;
        }

        image.ConvertTo(image, -1, factor, (1 - factor) * mean);
    }

    internal static void AdjustSaturation(Mat image, double factor, ColorMode colorMode)
    {
        using Mat gray = AugmentationOps.ToGray(image, colorMode);
        using var gray3 = new Mat();
        Cv2.CvtColor(gray, gray3, ColorConversionCodes.GRAY2BGR);
        Cv2.AddWeighted(image, factor, gray3, 1 - factor, 0, image);
    }

    private static void ShiftHue(Mat image, double shift, ColorMode colorMode)
    {
        bool bgr = colorMode == ColorMode.Bgr;
        int steps = (int)Math.Round(shift * 256);
        if (steps == 0)
        {
            return;
        }

        using var hsv = new Mat();
        Cv2.CvtColor(image, hsv, bgr ? ColorConversionCodes.BGR2HSV_FULL : ColorConversionCodes.RGB2HSV_FULL);
        Mat[] planes = Cv2.Split(hsv);
        try
        {
            // A 256-entry table turns the hue plane in one OpenCV call, wrapping around the circle.
            var table = new byte[256];
            for (int h = 0; h < 256; h++)
            {
                table[h] = (byte)((h + steps + 256) & 255);
            }

            using var lut = Mat.FromPixelData(1, 256, MatType.CV_8UC1, table);
            Cv2.LUT(planes[0], lut, planes[0]);
            Cv2.Merge(planes, hsv);
        }
        finally
        {
            foreach (Mat plane in planes)
            {
                plane.Dispose();
            }
        }

        Cv2.CvtColor(hsv, image, bgr ? ColorConversionCodes.HSV2BGR_FULL : ColorConversionCodes.HSV2RGB_FULL);
    }

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.PixelsOnly;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The input's size: this transform keeps it.</summary>
    public Size? OutputSize(Size input) => input;

    /// <inheritdoc />
    public override string ToString() =>
        $"ColorJitter(brightness={AugmentationOps.Format(Brightness)}, contrast={AugmentationOps.Format(Contrast)}, saturation={AugmentationOps.Format(Saturation)}, hue={AugmentationOps.Format(Hue)}, p={AugmentationOps.Format(P)})";
}
