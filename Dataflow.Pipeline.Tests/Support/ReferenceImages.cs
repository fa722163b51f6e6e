using Dataflow.Pipeline.Decoding;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>OpenCV's own decode and resize of a file: the reference the pipeline's pixels must equal.</summary>
internal static class ReferenceImages
{
    /// <summary>Decodes <paramref name="path"/> with OpenCV (8-bit, BGR or gray), stretches it to the size and orders channels.</summary>
    public static Mat DecodeResize(string path, int width, int height, ColorMode color = ColorMode.Rgb, InterpolationFlags interpolation = InterpolationFlags.Linear)
    {
        using Mat decoded = Cv2.ImRead(path, color == ColorMode.Grayscale ? ImreadModes.Grayscale : ImreadModes.Color);
        Assert.IsFalse(decoded.Empty(), $"OpenCV could not read {path}");
        var resized = new Mat();
        Cv2.Resize(decoded, resized, new Size(width, height), 0, 0, interpolation);
        if (color == ColorMode.Rgb)
        {
            Cv2.CvtColor(resized, resized, ColorConversionCodes.BGR2RGB);
        }

        return resized;
    }

    /// <summary>The 8-bit HWC bytes of a continuous Mat.</summary>
    public static byte[] Bytes(Mat image)
    {
        using Mat continuous = image.IsContinuous() ? image.Clone() : image.Clone();
        var bytes = new byte[continuous.Total() * continuous.ElemSize()];
        System.Runtime.InteropServices.Marshal.Copy(continuous.Data, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Converts one [0,1]-normalized NCHW row back to 8-bit HWC bytes.</summary>
    public static byte[] FromNchwRow(ReadOnlySpan<float> row, int width, int height, int channels)
    {
        var bytes = new byte[width * height * channels];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < width * height; i++)
            {
                bytes[i * channels + c] = (byte)Math.Round(row[c * width * height + i] * 255f);
            }
        }

        return bytes;
    }

    /// <summary>
    /// torchvision's <c>Resize(s)</c> + <c>CenterCrop((th, tw))</c> for an image whose full size is <paramref name="full"/>,
    /// written with OpenCV on the BGR <paramref name="source"/> (the full decode, or a reduced one): Cv2.Resize to the
    /// intermediate size, then the centred sub-rectangle, in RGB order.
    /// </summary>
    public static Mat ResizeShorterSideThenCenterCrop(Mat source, int s, Size full, int tw, int th, InterpolationFlags interpolation)
    {
        // torchvision: the shorter side becomes s, the longer int(s * long / short); the crop starts at int(round((size - crop) / 2.0)).
        Size resized = full.Width <= full.Height
            ? new Size(s, (int)((double)s * full.Height / full.Width))
            : new Size((int)((double)s * full.Width / full.Height), s);
        using var whole = new Mat();
        Cv2.Resize(source, whole, resized, 0, 0, interpolation);
        int left = (int)Math.Round((resized.Width - tw) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((resized.Height - th) / 2.0, MidpointRounding.ToEven);
        using var crop = new Mat(whole, new Rect(left, top, tw, th));
        var rgb = new Mat();
        Cv2.CvtColor(crop, rgb, ColorConversionCodes.BGR2RGB);
        return rgb;
    }
}
