using Dataflow.Pipeline.Internal;
using OpenCvSharp;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>
/// Crops a window at a uniformly random position, after optionally padding the image on every side
/// (torchvision <c>RandomCrop(size, padding, padding_mode, fill)</c>).
/// </summary>
/// <remarks>
/// Without a size the window is the image's own size, so with padding it is a random translation of up to
/// <see cref="Padding"/> pixels (the CIFAR recipe: pad 4, crop back). In the pipeline the output must have
/// the pipeline's target size: leave the size unset, or set it to the target. Only the window is copied: the
/// padding is built around the part of the image that falls inside it, equal to padding the whole image first.
/// </remarks>
public sealed class RandomCrop : IAugmentation
{
    /// <summary>Creates the transform.</summary>
    /// <param name="width">Crop width in pixels, 1 to 16384; null for the input's width.</param>
    /// <param name="height">Crop height in pixels, 1 to 16384; null for the input's height.</param>
    /// <param name="padding">Pixels added on each side before cropping, 0 to 4096.</param>
    /// <param name="paddingMode">How the padding is filled.</param>
    /// <param name="fill">The padding value for <see cref="PaddingMode.Constant"/>, 0 to 255, on every channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range.</exception>
    public RandomCrop(int? width = null, int? height = null, int padding = 0, PaddingMode paddingMode = PaddingMode.Constant, double fill = 0)
    {
        if (width is int w)
        {
            Guard.InRange(w, 1, 16_384, nameof(width));
        }

        if (height is int h)
        {
            Guard.InRange(h, 1, 16_384, nameof(height));
        }

        Guard.InRange(padding, 0, 4096, nameof(padding));
        Guard.Defined(paddingMode, nameof(paddingMode));
        Guard.InRange(fill, 0, 255, nameof(fill));
        Width = width;
        Height = height;
        Padding = padding;
        PaddingMode = paddingMode;
        Fill = fill;
    }

    /// <summary>Crop width, or null for the input's width.</summary>
    public int? Width { get; }

    /// <summary>Crop height, or null for the input's height.</summary>
    public int? Height { get; }

    /// <summary>Pixels of padding on each side.</summary>
    /// <value>0 by default.</value>
    public int Padding { get; }

    /// <summary>How the padding is filled.</summary>
    /// <value><see cref="PaddingMode.Constant"/> by default.</value>
    public PaddingMode PaddingMode { get; }

    /// <summary>The constant padding value.</summary>
    /// <value>0 by default.</value>
    public double Fill { get; }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The crop is larger than the padded image.</exception>
    public Mat Apply(Mat image, AugmentationContext context)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(context);
        int cw = Width ?? image.Width, ch = Height ?? image.Height;
        int paddedWidth = image.Width + 2 * Padding, paddedHeight = image.Height + 2 * Padding;
        if (cw > paddedWidth || ch > paddedHeight)
        {
            throw new InvalidOperationException(
                $"{this} cannot crop {cw}x{ch} from a {image.Width}x{image.Height} image padded by {Padding} ({paddedWidth}x{paddedHeight}).");
        }

        // The window in padded coordinates, then in image coordinates.
        int x = context.Random.NextInt(0, paddedWidth - cw) - Padding;
        int y = context.Random.NextInt(0, paddedHeight - ch) - Padding;
        var window = new Rect(x, y, cw, ch);
        context.RecordGeometry(Targets.Affine2D.Translation(-x, -y), window.Size);
        var inside = Rect.Intersect(window, new Rect(0, 0, image.Width, image.Height));
        if (inside == window)
        {
            return AugmentationOps.ResizeRegion(image, window, window.Size, InterpolationFlags.Nearest);
        }

        if (inside.Width <= 0 || inside.Height <= 0 || image.IsSubmatrix())
        {
            // The window lies wholly in the padding, or the image is itself a view: pad all of it, then crop.
            using var padded = new Mat();
            Cv2.CopyMakeBorder(image, padded, Padding, Padding, Padding, Padding, Border(), Scalar.All(Fill));
            using var crop = new Mat(padded, new Rect(x + Padding, y + Padding, cw, ch));
            return crop.Clone();
        }

        // Padding a view borrows the real pixels around it from the parent image and extrapolates only beyond
        // the image's edge (OpenCV's copyMakeBorder on a ROI), which equals padding the whole image then cropping.
        using var view = new Mat(image, inside);
        var dst = new Mat();
        try
        {
            Cv2.CopyMakeBorder(view, dst, inside.Y - y, y + ch - inside.Bottom, inside.X - x, x + cw - inside.Right, Border(), Scalar.All(Fill));
            return dst;
        }
        catch
        {
            dst.Dispose();
            throw;
        }
    }

    private BorderTypes Border() => PaddingMode switch
    {
        PaddingMode.Reflect => BorderTypes.Reflect101,
        PaddingMode.Edge => BorderTypes.Replicate,
        _ => BorderTypes.Constant,
    };

    /// <inheritdoc />
    public Targets.TargetBehavior TargetBehavior => Targets.TargetBehavior.RecordsGeometry;

    /// <inheritdoc />
    public bool HandlesAnyChannelOrder => true;

    /// <summary>The crop's size: <see cref="Width"/> and <see cref="Height"/>, or the input's where unset.</summary>
    public Size? OutputSize(Size input) => new Size(Width ?? input.Width, Height ?? input.Height);

    /// <inheritdoc />
    public override string ToString() =>
        $"RandomCrop(size={(Width is null && Height is null ? "input" : $"{Width?.ToString() ?? "input"}x{Height?.ToString() ?? "input"}")}, padding={Padding}, mode={PaddingMode}, fill={AugmentationOps.Format(Fill)})";
}
