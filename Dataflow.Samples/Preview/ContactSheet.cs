using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using OpenCvSharp;

namespace Dataflow.Samples.Preview;

/// <summary>
/// Draws one batch as the trainer sees it, de-normalised for display: a grid of tiles, each captioned with
/// its class name.
/// </summary>
public static class ContactSheet
{
    /// <summary>Pixels between tiles and around the sheet.</summary>
    public const int Padding = 4;

    /// <summary>Height of the caption strip under each tile.</summary>
    public const int CaptionHeight = 18;

    /// <summary>
    /// Renders <paramref name="batch"/> (NCHW) as an 8-bit BGR sheet of <paramref name="columns"/> tiles per
    /// row, each image scaled (nearest-neighbour when enlarging) so its longer side is <paramref name="tile"/> pixels.
    /// Each tile is captioned with <paramref name="caption"/>'s text for its row, or its class name when null. A batch with
    /// targets has them drawn over each tile (<see cref="TargetOverlay"/>), keypoints joined by <paramref name="skeleton"/>.
    /// </summary>
    public static Mat Render(Batch batch, NormalizationOptions normalization, ColorMode color, int columns, int tile, Func<Batch, int, string>? caption = null,
        IReadOnlyList<(int From, int To)>? skeleton = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(normalization);
        if (batch.Layout != TensorLayout.Nchw)
        {
            throw new ArgumentException("The contact sheet reads NCHW batches.", nameof(batch));
        }

        int height = batch.Shape[2], width = batch.Shape[3];
        double factor = (double)tile / Math.Max(width, height);
        int tileWidth = Math.Max(1, (int)Math.Round(width * factor));
        int tileHeight = Math.Max(1, (int)Math.Round(height * factor));
        int rows = (batch.Count + columns - 1) / columns;
        int cellWidth = tileWidth + Padding, cellHeight = tileHeight + CaptionHeight + Padding;
        var sheet = new Mat(rows * cellHeight + Padding, Math.Min(columns, batch.Count) * cellWidth + Padding, MatType.CV_8UC3, new Scalar(32, 32, 32));
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                int x = Padding + i % columns * cellWidth;
                int y = Padding + i / columns * cellHeight;
                using Mat image = Denormalize(batch.Row(i), batch.Shape[1], height, width, normalization, color);
                using Mat scaled = new();
                Cv2.Resize(image, scaled, new Size(tileWidth, tileHeight), 0, 0, factor >= 1 ? InterpolationFlags.Nearest : InterpolationFlags.Area);
                using (Mat target = new(sheet, new Rect(x, y, tileWidth, tileHeight)))
                {
                    scaled.CopyTo(target);
                    if (batch.Targets is { } targets)
                    {
                        TargetOverlay.Draw(target, targets, i, factor, batch.ClassNames, skeleton ?? []);
                    }
                }

                Caption(sheet, caption?.Invoke(batch, i) ?? batch.ClassNames[batch.Labels[i]], x, y + tileHeight, tileWidth);
            }

            return sheet;
        }
        catch
        {
            sheet.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Turns one normalised NCHW row back into 8-bit BGR pixels: <c>pixel = (value × std + mean) / scale</c>,
    /// per channel, saturated to 0–255.
    /// </summary>
    public static unsafe Mat Denormalize(ReadOnlySpan<float> row, int channels, int height, int width, NormalizationOptions normalization, ColorMode color)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        // Per-channel values belong to colours: list them in the order of the tensor's channels.
        normalization = normalization.InChannelOrder(color);
        if (row.Length != channels * height * width)
        {
            throw new ArgumentException($"A {channels}x{height}x{width} row holds {channels * height * width} floats, had {row.Length}.", nameof(row));
        }

        var planes = new Mat[channels];
        try
        {
            fixed (float* data = row)
            {
                for (int c = 0; c < channels; c++)
                {
                    double mean = normalization.Mean.Length == 1 ? normalization.Mean[0] : normalization.Mean[c];
                    double std = normalization.Std.Length == 1 ? normalization.Std[0] : normalization.Std[c];
                    using Mat plane = Mat.FromPixelData(height, width, MatType.CV_32FC1, (IntPtr)(data + (long)c * height * width));
                    planes[c] = new Mat();
                    plane.ConvertTo(planes[c], MatType.CV_8UC1, std / normalization.Scale, mean / normalization.Scale);
                }
            }

            var bgr = new Mat();
            if (channels == 1)
            {
                Cv2.CvtColor(planes[0], bgr, ColorConversionCodes.GRAY2BGR);
            }
            else
            {
                Cv2.Merge(color == ColorMode.Rgb ? [planes[2], planes[1], planes[0]] : planes, bgr);
            }

            return bgr;
        }
        finally
        {
            foreach (Mat? plane in planes)
            {
                plane?.Dispose();
            }
        }
    }

    private static void Caption(Mat sheet, string text, int x, int y, int width)
    {
        const HersheyFonts font = HersheyFonts.HersheySimplex;
        const double scale = 0.4;
        // Shorten the caption until it fits under its tile.
        string shown = text;
        while (shown.Length > 1 && Cv2.GetTextSize(shown, font, scale, 1, out _).Width > width)
        {
            shown = shown[..^1];
        }

        Cv2.PutText(sheet, shown, new Point(x + 1, y + CaptionHeight - 5), font, scale, new Scalar(235, 235, 235), 1, LineTypes.AntiAlias);
    }
}
