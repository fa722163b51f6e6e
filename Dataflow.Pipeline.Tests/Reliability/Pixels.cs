using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>Turns batch rows back into images and builds the images they must equal.</summary>
internal static class Pixels
{
    /// <summary>An 8-bit RGB image from one [0,1]-normalized NCHW row of <paramref name="width"/>×<paramref name="height"/>×3.</summary>
    public static Mat FromRow(float[] row, int width, int height)
    {
        Assert.HasCount(3 * width * height, row, "floats in the row");
        byte[] hwc = ReferenceImages.FromNchwRow(row, width, height, 3);
        using Mat view = Mat.FromPixelData(height, width, MatType.CV_8UC3, hwc);
        return view.Clone();
    }

    /// <summary>What the pipeline must produce from a decoded BGR image: stretched (bilinear) to the size, in RGB order.</summary>
    public static Mat Expected(Mat bgr, int width, int height)
    {
        var resized = new Mat();
        if (bgr.Width == width && bgr.Height == height)
        {
            bgr.CopyTo(resized);
        }
        else
        {
            Cv2.Resize(bgr, resized, new Size(width, height), 0, 0, InterpolationFlags.Linear);
        }

        Cv2.CvtColor(resized, resized, ColorConversionCodes.BGR2RGB);
        return resized;
    }

    /// <summary>The largest absolute difference of any channel of any pixel.</summary>
    public static double MaxDifference(Mat a, Mat b)
    {
        Assert.AreEqual(a.Size(), b.Size(), "image size");
        Assert.AreEqual(a.Type(), b.Type(), "image type");
        return Cv2.Norm(a, b, NormTypes.INF);
    }

    /// <summary>The mean absolute difference over every channel of every pixel.</summary>
    public static double MeanDifference(Mat a, Mat b)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        Scalar mean = Cv2.Mean(diff);
        return (mean.Val0 + mean.Val1 + mean.Val2) / 3;
    }
}
