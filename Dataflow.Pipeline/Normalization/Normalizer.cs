using Dataflow.Pipeline.Decoding;
using OpenCvSharp;

namespace Dataflow.Pipeline.Normalization;

/// <summary>
/// Writes an 8-bit image as normalized float32 straight into its slot of a batch tensor, in NCHW or
/// NHWC order, in one SIMD pass per row (<see cref="NormalizeKernels"/>).
/// </summary>
public sealed class Normalizer
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
        _fa = [.. a.Select(v => (float)v)];
        _fb = [.. b.Select(v => (float)v)];
        _faReversed = [.. _fa.Reverse()];
        _fbReversed = [.. _fb.Reverse()];
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
}
