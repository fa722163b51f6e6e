using Dataflow.Pipeline.Decoding;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>OpenCV building blocks shared by the built-in augmentations.</summary>
internal static class AugmentationOps
{
    /// <summary>
    /// Resizes <paramref name="region"/> of <paramref name="image"/> (taken as a view, not copied) to <paramref name="size"/>.
    /// Returns <paramref name="image"/> itself when the region is the whole image and the size already matches.
    /// </summary>
    public static Mat ResizeRegion(Mat image, Rect region, Size size, InterpolationFlags interpolation)
    {
        if (region == new Rect(0, 0, image.Width, image.Height) && size == image.Size())
        {
            return image;
        }

        using var view = new Mat(image, region);
        var dst = new Mat();
        try
        {
            if (region.Size == size)
            {
                view.CopyTo(dst);
            }
            else
            {
                Cv2.Resize(view, dst, size, 0, 0, interpolation);
            }

            return dst;
        }
        catch
        {
            dst.Dispose();
            throw;
        }
    }

    /// <summary>What a source crop does outside the decoder: selects its region of the image and resizes it (bilinear) back to the image's size.</summary>
    public static Mat ApplySourceCrop(ISourceCropAugmentation crop, Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        Size size = image.Size();
        Rect region = crop.SelectRegion(size, size, context);
        context.RecordGeometry(Targets.Affine2D.RegionTo(region, size.Width, size.Height), size);
        return ResizeRegion(image, region, size, InterpolationFlags.Linear);
    }

    /// <summary>
    /// Runs <paramref name="transforms"/> in order, disposing the intermediate Mats they create; the caller keeps
    /// ownership of <paramref name="image"/> as with a single <see cref="IAugmentation.Apply"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A transform returned null or the image of another sample in flight.</exception>
    /// <exception cref="ObjectDisposedException">A transform returned a disposed Mat.</exception>
    public static Mat ApplyAll(IReadOnlyList<IAugmentation> transforms, Mat image, AugmentationContext context) =>
        Chain(image, transforms.Count, (current, i) => Checked(transforms[i], transforms[i].Apply(current, context), image, context),
            intermediate => Release(intermediate, context));

    /// <summary>
    /// <paramref name="result"/> of <paramref name="transform"/> inside a combinator, refused (naming the transform) when the
    /// combinator must not pass it on or dispose it: null, disposed, or another sample's image. In a pipeline a new Mat is
    /// claimed for the sample in the same step as the check (<see cref="Memory.ImageCounter.TryAdopt"/>), so no other
    /// sample can take it while this one reads it, and only this one disposes it: a transform that hands one Mat to
    /// several samples at once has all but one refused, never its Mat disposed under another (that crashed in native code).
    /// </summary>
    private static Mat Checked(IAugmentation transform, Mat? result, Mat image, AugmentationContext context)
    {
        if (result is null)
        {
            throw ImageSample.ReturnedNull(transform);
        }

        if (result.IsDisposed)
        {
            throw ImageSample.ReturnedDisposed(transform);
        }

        if (ReferenceEquals(result, image))
        {
            return result;
        }

        if (context.Images is { } images && context.Sample is { } sample)
        {
            ImageSample.ThrowIfRefused(images.Claim(result, sample, out ImageSample? holder), holder, transform);
        }
        else if (context.Images?.HolderOf(result) is ImageSample holder)
        {
            throw ImageSample.ReturnedHeld(transform, holder);
        }

        return result;
    }

    /// <summary>Disposes an intermediate Mat of a combinator, then gives up the sample's claim on it.</summary>
    private static void Release(Mat intermediate, AugmentationContext context)
    {
        intermediate.Dispose();
        if (context.Sample is { } sample)
        {
            context.Images?.Disown(intermediate, sample);
        }
    }

    /// <summary>
    /// Runs <paramref name="steps"/> steps in order, each given the previous one's result and its number, disposing the
    /// intermediate Mats they create; the caller keeps ownership of <paramref name="image"/> as with a single
    /// <see cref="IAugmentation.Apply"/>.
    /// </summary>
    public static Mat Chain(Mat image, int steps, Func<Mat, int, Mat> step, Action<Mat>? release = null)
    {
        release ??= static m => m.Dispose();
        Mat current = image;
        try
        {
            for (int i = 0; i < steps; i++)
            {
                Mat next = step(current, i);
                if (!ReferenceEquals(next, current) && !ReferenceEquals(current, image))
                {
                    release(current);
                }

                current = next;
            }

            return current;
        }
        catch
        {
            if (!ReferenceEquals(current, image))
            {
                release(current);
            }

            throw;
        }
    }

    /// <summary>A new 1-channel luma image of a 3-channel <paramref name="image"/> in the given channel order.</summary>
    public static Mat ToGray(Mat image, ColorMode colorMode)
    {
        var gray = new Mat();
        try
        {
            Cv2.CvtColor(image, gray, colorMode == ColorMode.Bgr ? ColorConversionCodes.BGR2GRAY : ColorConversionCodes.RGB2GRAY);
            return gray;
        }
        catch
        {
            gray.Dispose();
            throw;
        }
    }

    /// <summary>
    /// torchvision's area sampling of RandomResizedCrop: up to 10 tries at a rectangle whose
    /// area is a uniform fraction in <paramref name="scale"/> of the image and whose log aspect ratio
    /// (width / height) is uniform in the log of <paramref name="ratio"/>, placed uniformly inside the image.
    /// </summary>
    public static bool TryRandomArea(Size size, (double Min, double Max) scale, (double Min, double Max) ratio, SampleRandom random, out Rect region)
    {
        double area = (double)size.Width * size.Height;
        double logMin = Math.Log(ratio.Min), logMax = Math.Log(ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * random.Uniform(scale.Min, scale.Max);
            double aspect = Math.Exp(random.Uniform(logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && h > 0 && w <= size.Width && h <= size.Height)
            {
                int y = random.NextInt(0, size.Height - h);
                int x = random.NextInt(0, size.Width - w);
                region = new Rect(x, y, w, h);
                return true;
            }
        }

        region = default;
        return false;
    }

    /// <summary>The (min, max) pair written the way the parameters are given, for <c>ToString()</c>.</summary>
    public static string Format((double Min, double Max) range) =>
        FormattableString.Invariant($"({range.Min:0.###}, {range.Max:0.###})");

    /// <summary>A number written invariantly, for <c>ToString()</c>.</summary>
    public static string Format(double value) => FormattableString.Invariant($"{value:0.###}");
}
