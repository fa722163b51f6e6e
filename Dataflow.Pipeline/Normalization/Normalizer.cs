using OpenCvSharp;

namespace Dataflow.Pipeline.Normalization;

/// <summary>
/// Writes an 8-bit image as normalized float32 straight into its slot of a batch tensor, in NCHW or
/// NHWC order. All arithmetic runs in OpenCV's vectorized kernels; no per-pixel managed loop.
/// </summary>
public sealed class Normalizer
{
    private readonly double[] _a;
    private readonly double[] _b;
    private readonly bool _uniform;

    /// <summary>Creates a normalizer for images of <paramref name="width"/>×<paramref name="height"/>×<paramref name="channels"/>.</summary>
    public Normalizer(NormalizationOptions options, TensorLayout layout, int width, int height, int channels)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(channels);
        Options = options;
        Layout = layout;
        Width = width;
        Height = height;
        Channels = channels;
        (_a, _b) = options.Affine(channels);
        _uniform = _a.All(v => v == _a[0]) && _b.All(v => v == _b[0]);
    }

    /// <summary>The normalization applied.</summary>
    public NormalizationOptions Options { get; }

    /// <summary>The tensor layout written.</summary>
    public TensorLayout Layout { get; }

    /// <summary>Image width.</summary>
    public int Width { get; }

    /// <summary>Image height.</summary>
    public int Height { get; }

    /// <summary>Channels per pixel.</summary>
    public int Channels { get; }

    /// <summary>Floats one image occupies in the tensor.</summary>
    public int SampleLength => Width * Height * Channels;

    /// <summary>The shape of one sample in the chosen layout.</summary>
    public int[] SampleShape => Layout == TensorLayout.Nchw ? [Channels, Height, Width] : [Height, Width, Channels];

    /// <summary>Normalizes <paramref name="image"/> into <paramref name="destination"/> (exactly <see cref="SampleLength"/> floats).</summary>
    public unsafe void Write(Mat image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != SampleLength)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; one sample needs {SampleLength}.", nameof(destination));
        }

        if (image.Width != Width || image.Height != Height || image.Channels() != Channels || image.Depth() != MatType.CV_8U)
        {
            throw new ArgumentException($"Expected an 8-bit {Width}x{Height}x{Channels} image, got {image.Width}x{image.Height}x{image.Channels()} depth {image.Depth()}.", nameof(image));
        }

        fixed (float* dst = destination)
        {
            Write(image, dst);
        }
    }

    /// <summary>Normalizes into pinned memory at <paramref name="destination"/>.</summary>
    internal unsafe void Write(Mat image, float* destination)
    {
        if (Channels == 1 || (Layout == TensorLayout.Nhwc && _uniform))
        {
            using Mat all = Mat.FromPixelData(Height, Width, MatType.CV_32FC(Channels), (IntPtr)destination);
            image.ConvertTo(all, MatType.CV_32FC(Channels), _a[0], _b[0]);
            return;
        }

        if (Layout == TensorLayout.Nhwc)
        {
            using Mat all = Mat.FromPixelData(Height, Width, MatType.CV_32FC(Channels), (IntPtr)destination);
            image.ConvertTo(all, MatType.CV_32FC(Channels));
            Cv2.Multiply(all, new Scalar(_a[0], _a[1], _a[2]), all);
            Cv2.Add(all, new Scalar(_b[0], _b[1], _b[2]), all);
            return;
        }

        // NCHW: pull each channel out as a byte plane, then convert it with its own scale and offset
        // straight into its plane of the tensor: two passes over the data, both in OpenCV.
        using Mat plane = new Mat(Height, Width, MatType.CV_8UC1);
        int planeLength = Width * Height;
        for (int c = 0; c < Channels; c++)
        {
            Cv2.ExtractChannel(image, plane, c);
            using Mat target = Mat.FromPixelData(Height, Width, MatType.CV_32FC1, (IntPtr)(destination + (long)c * planeLength));
            plane.ConvertTo(target, MatType.CV_32FC1, _a[c], _b[c]);
        }
    }
}
