using Dataflow.Pipeline.Decoding;
using OpenCvSharp;

namespace Dataflow.Pipeline.Normalization;

/// <summary>
/// Writes an 8-bit image as normalized float32 straight into its slot of a batch tensor, in NCHW or
/// NHWC order, in one SIMD pass per row (<see cref="NormalizeKernels"/>).
/// </summary>
internal sealed class Normalizer
{
    private readonly float[] _fa;
    private readonly float[] _fb;
    private readonly float[] _faReversed;
    private readonly float[] _fbReversed;

    /// <summary>
    /// Creates a normalizer for images of <paramref name="width"/>×<paramref name="height"/> in <paramref name="colorMode"/>:
    /// each per-channel value of <paramref name="options"/> goes to the channel of its colour.
    /// </summary>
    /// <exception cref="PipelineOptionsException">The normalization does not fit the colour mode or holds an invalid value.</exception>
    public Normalizer(NormalizationOptions options, TensorLayout layout, int width, int height, ColorMode colorMode)
        : this((options ?? throw new ArgumentNullException(nameof(options))).InChannelOrder(colorMode), layout, width, height, colorMode == ColorMode.Grayscale ? 1 : 3)
    {
    }

    /// <summary>
    /// Creates a normalizer for images of <paramref name="width"/>×<paramref name="height"/>×<paramref name="channels"/> whose
    /// channels are in the colour order of <paramref name="options"/> (<see cref="NormalizationOptions.ChannelOrder"/>): value c
    /// goes to channel c. For images in a known colour mode use the constructor that takes it.
    /// </summary>
    /// <exception cref="PipelineOptionsException">The normalization does not fit the channel count or holds an invalid value.</exception>
    public Normalizer(NormalizationOptions options, TensorLayout layout, int width, int height, int channels)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(channels);
        Options = options;
        Layout = layout;
        Width = width;
        Height = height;
        Channels = channels;
        (double[] a, double[] b) = options.Affine(channels);
        _fa = Singles(a, reversed: false);
        _fb = Singles(b, reversed: false);
        _faReversed = Singles(a, reversed: true);
        _fbReversed = Singles(b, reversed: true);
    }

    private static float[] Singles(double[] values, bool reversed)
    {
        float[] singles = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            singles[i] = (float)values[reversed ? values.Length - 1 - i : i];
        }

        return singles;
    }

    /// <summary>The normalization applied, its per-channel values in the order of the image's channels.</summary>
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
    public void Write(Mat image, Span<float> destination) => Write(image, destination, swapRedBlue: false);

    /// <summary>As <see cref="Write(Mat, Span{float})"/>; with <paramref name="swapRedBlue"/> a BGR image is written as RGB (NCHW).</summary>
    internal unsafe void Write(Mat image, Span<float> destination, bool swapRedBlue)
    {
        Check(image, destination.Length, "floats");
        fixed (float* dst = destination)
        {
            Write(image, dst, swapRedBlue);
        }
    }

    /// <summary>
    /// Normalizes into pinned memory at <paramref name="destination"/>. With <paramref name="swapRedBlue"/> (NCHW,
    /// three channels) the image is in BGR order and is written as RGB: plane c takes pixel channel 2 − c.
    /// </summary>
    internal unsafe void Write(Mat image, float* destination, bool swapRedBlue = false)
    {
        // One managed pass per row straight from the Mat's pixels: no temporary Mat and no OpenCV call per image
        // (each one allocates its array proxies), and NHWC with per-channel values needs no second pass.
        byte* pixels = (byte*)image.DataPointer;
        long step = image.Step();
        long plane = (long)Width * Height;
        bool swap = swapRedBlue && Channels == 3 && Layout == TensorLayout.Nchw;
        ReadOnlySpan<float> a = swap ? _faReversed : _fa, b = swap ? _fbReversed : _fb;
        for (int y = 0; y < Height; y++)
        {
            byte* row = pixels + y * step;
            if (Channels == 1)
            {
                NormalizeKernels.Plane(row, destination + (long)y * Width, Width, a[0], b[0]);
            }
            else if (Layout == TensorLayout.Nhwc)
            {
                NormalizeKernels.Interleaved3(row, destination + (long)y * Width * 3, Width, a, b);
            }
            else if (swap)
            {
                // Pixel channel 0 (blue) goes to the last plane: start there and step back one plane per channel.
                NormalizeKernels.Deinterleave3(row, destination + 2 * plane + (long)y * Width, -plane, Width, a, b);
            }
            else
            {
                NormalizeKernels.Deinterleave3(row, destination + (long)y * Width, plane, Width, a, b);
            }
        }
    }

    /// <summary>Copies <paramref name="image"/> as 8-bit pixels into <paramref name="destination"/> (exactly <see cref="SampleLength"/> bytes) in <see cref="Layout"/>, without normalizing.</summary>
    /// <remarks>The byte output (<see cref="TensorElementType.UInt8"/>): the values a <see cref="NormalizationOptions.None"/> float tensor holds, as bytes.</remarks>
    public void WriteBytes(Mat image, Span<byte> destination) => WriteBytes(image, destination, swapRedBlue: false);

    /// <summary>As <see cref="WriteBytes(Mat, Span{byte})"/>; with <paramref name="swapRedBlue"/> a BGR image is written as RGB (NCHW).</summary>
    internal unsafe void WriteBytes(Mat image, Span<byte> destination, bool swapRedBlue)
    {
        Check(image, destination.Length, "bytes");
        fixed (byte* dst = destination)
        {
            WriteBytes(image, dst, swapRedBlue);
        }
    }

    /// <summary>Copies the pixels into pinned memory at <paramref name="destination"/>: rows as they are (NHWC, gray), or de-interleaved into planes (NCHW).</summary>
    internal unsafe void WriteBytes(Mat image, byte* destination, bool swapRedBlue = false)
    {
        byte* pixels = (byte*)image.DataPointer;
        long step = image.Step();
        long plane = (long)Width * Height;
        int rowBytes = Width * Channels;
        bool swap = swapRedBlue && Channels == 3 && Layout == TensorLayout.Nchw;
        if (Channels == 1 || Layout == TensorLayout.Nhwc)
        {
            if (step == rowBytes)
            {
                Buffer.MemoryCopy(pixels, destination, (long)rowBytes * Height, (long)rowBytes * Height);
                return;
            }

            for (int y = 0; y < Height; y++)
            {
                Buffer.MemoryCopy(pixels + y * step, destination + (long)y * rowBytes, rowBytes, rowBytes);
            }

            return;
        }

        for (int y = 0; y < Height; y++)
        {
            byte* row = pixels + y * step;
            if (swap)
            {
                NormalizeKernels.Deinterleave3Bytes(row, destination + 2 * plane + (long)y * Width, -plane, Width);
            }
            else
            {
                NormalizeKernels.Deinterleave3Bytes(row, destination + (long)y * Width, plane, Width);
            }
        }
    }

    /// <summary>Checks an image and a destination of <paramref name="length"/> elements against this normalizer's shape.</summary>
    private void Check(Mat image, int length, string unit)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (length != SampleLength)
        {
            throw new ArgumentException($"Destination holds {length} {unit}; one sample needs {SampleLength}.", "destination");
        }

        if (image.Width != Width || image.Height != Height || image.Channels() != Channels || image.Depth() != MatType.CV_8U)
        {
            throw new ArgumentException($"Expected an 8-bit {Width}x{Height}x{Channels} image, got {image.Width}x{image.Height}x{image.Channels()} depth {image.Depth()}.", nameof(image));
        }
    }
}
