using System.Buffers;
using OpenCvSharp;

namespace Dataflow.Pipeline.Decoding;

/// <summary>
/// Decodes encoded image bytes with OpenCV to 8-bit pixels in the configured colour mode and resizes
/// them to the target size. Thread-safe: holds only its settings.
/// </summary>
/// <remarks>
/// Palette, alpha, 16-bit and grayscale sources all come out as 8-bit RGB/BGR (alpha dropped) or
/// grayscale. When <see cref="ReducedDecode"/> is on and a JPEG's header says it is at least 2×, 4× or
/// 8× larger than needed in both dimensions, it is decoded at that reduction by the JPEG library's DCT
/// scaling (the largest one still covering the target) and then resized: the pixels differ slightly
/// from a full decode followed by the same resize, as a smaller intermediate was resampled.
/// </remarks>
public sealed class ImageDecoder
{
    /// <summary>Creates a decoder.</summary>
    /// <param name="width">Target width, 1 to 16384.</param>
    /// <param name="height">Target height, 1 to 16384.</param>
    /// <param name="color">Output channels.</param>
    /// <param name="resize">Resize mode.</param>
    /// <param name="interpolation">Resampling.</param>
    /// <param name="reducedDecode">Whether large JPEGs are decoded at a reduced resolution.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is outside its range, or an enum value is not defined.</exception>
    public ImageDecoder(int width, int height, ColorMode color = ColorMode.Rgb, ResizeMode resize = ResizeMode.Stretch,
        Interpolation interpolation = Interpolation.Bilinear, bool reducedDecode = true)
    {
        // Checked here, not left to OpenCV's resize ("inv_scale_x > 0") at the first image.
        Internal.Guard.InRange(width, 1, MaxSide, nameof(width));
        Internal.Guard.InRange(height, 1, MaxSide, nameof(height));
        Internal.Guard.Defined(color, nameof(color));
        Internal.Guard.Defined(resize, nameof(resize));
        Internal.Guard.Defined(interpolation, nameof(interpolation));
        Width = width;
        Height = height;
        Color = color;
        Resize = resize;
        Interpolation = interpolation;
        ReducedDecode = reducedDecode;
    }

    /// <summary>The largest target side, as <see cref="PipelineOptions.Width"/> and <see cref="PipelineOptions.Height"/> allow.</summary>
    internal const int MaxSide = 16_384;

    /// <summary>Target width.</summary>
    public int Width { get; }

    /// <summary>Target height.</summary>
    public int Height { get; }

    /// <summary>Output channels.</summary>
    public ColorMode Color { get; }

    /// <summary>Resize mode.</summary>
    public ResizeMode Resize { get; }

    /// <summary>Resampling.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>Whether large JPEGs are decoded at a reduced resolution.</summary>
    public bool ReducedDecode { get; }

    /// <summary>
    /// With <see cref="ResizeMode.ShorterSideThenCenterCrop"/>: the target's larger side over the resized shorter side
    /// (timm's <c>crop_pct</c>); the shorter side is resized to floor(max(target) / fraction) before the centre crop.
    /// </summary>
    /// <value>0.875 (224 of 256, torchvision's ImageNet evaluation transform); above 0, at most 1.</value>
    public double CenterCropFraction { get; init; } = 0.875;

    /// <summary>Pixels refused when the header declares more than this (decompression bombs).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>The default of <see cref="MaxPixels"/>: Pillow's limit.</summary>
    internal const long DefaultMaxPixels = 178_956_970;

    /// <summary>Whether a JPEG without its end-of-image marker (truncated) is decoded anyway.</summary>
    public bool AcceptTruncatedJpeg { get; init; }

    /// <summary>Whether EXIF orientation is applied (OpenCV's default) or ignored.</summary>
    public bool HonorExifOrientation { get; init; } = true;

    /// <summary>
    /// With <see cref="ColorMode.Rgb"/>, return OpenCV's BGR order anyway: the pipeline sets this when the normalizer
    /// swaps the channels as it writes the tensor, which saves a pass over every image.
    /// </summary>
    internal bool LeaveBgr { get; init; }

    /// <summary>Channels of the output: 3 or 1.</summary>
    public int Channels => Color == ColorMode.Grayscale ? 1 : 3;

    /// <summary>Decodes and resizes; the caller owns (and disposes) the returned Mat, <see cref="Width"/>×<see cref="Height"/> 8-bit.</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image, or are refused (too large, truncated).</exception>
    public Mat Decode(ReadOnlySpan<byte> data, string id) => Decode(data, id, null);

    /// <summary>
    /// Decodes, keeps the region <paramref name="sourceRegion"/> picks from the full-size image and resizes only that
    /// region to the target (the fused source crop of <see cref="Augmentation.ISourceCropAugmentation"/>); with a null
    /// <paramref name="sourceRegion"/>, the same as <see cref="Decode(ReadOnlySpan{byte}, string)"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="sourceRegion"/> is given the full-size image's size (after EXIF orientation) and must return the
    /// same region for the same size: it is also asked, before decoding, about both orientations of the header's size,
    /// so that a large JPEG is decoded at the largest reduction at which the region still covers the target; the region
    /// is then mapped onto the reduced image (its edges rounded outwards to whole pixels).
    /// </remarks>
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image, or are refused (too large, truncated).</exception>
    /// <exception cref="InvalidOperationException">The region is empty or not inside the decoded image.</exception>
    public Mat Decode(ReadOnlySpan<byte> data, string id, Func<Size, Rect>? sourceRegion) => Decode(data, id, sourceRegion, null);

    /// <summary>
    /// As <see cref="Decode(ReadOnlySpan{byte}, string, Func{Size, Rect}?)"/>, and when <paramref name="geometry"/> is given, says
    /// there what the decode did: the full-size (oriented) source image's size, and the map from its pixels to the result's.
    /// </summary>
    internal Mat Decode(ReadOnlySpan<byte> data, string id, Func<Size, Rect>? sourceRegion, Targets.DecodeGeometry? geometry)
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException(id, 0, "the file is empty");
        }

        ImageHeader header = ImageHeader.Read(data);
        CheckHeader(header, id, data.Length, MaxPixels, complete: true);
        // Before decoding: OpenCV returns nothing for some of these and wrong colours for others.
        if (header.Format == ImageFormat.Tiff && ImageHeader.TiffUnsupportedSamples(data) is string unsupported)
        {
            throw new ImageDecodeException(id, data.Length, unsupported);
        }

        byte[]? patched = null;
        if (header.Format == ImageFormat.Jpeg && !ImageHeader.JpegHasEndMarker(data))
        {
            if (!AcceptTruncatedJpeg)
            {
                throw new ImageDecodeException(id, data.Length, "truncated JPEG (no end-of-image marker); set AcceptTruncatedJpeg to decode it anyway");
            }

            // OpenCV refuses a JPEG that stops mid-scan; with the marker restored, the JPEG library
            // decodes what is there and fills the missing rows with grey.
            patched = ArrayPool<byte>.Shared.Rent(data.Length + 2);
            data.CopyTo(patched);
            patched[data.Length] = 0xFF;
            patched[data.Length + 1] = 0xD9;
        }

        ImreadModes mode = DecodeMode(header, sourceRegion);
        Mat decoded;
        try
        {
            decoded = Cv2.ImDecode(patched is null ? data : patched.AsSpan(0, data.Length + 2), mode);
        }
        catch (OpenCVException e)
        {
            throw new ImageDecodeException(id, data.Length, $"OpenCV failed to decode it ({e.Message})", e);
        }
        finally
        {
            if (patched is not null)
            {
                ArrayPool<byte>.Shared.Return(patched);
            }
        }

        if (decoded.Empty())
        {
            decoded.Dispose();
            throw new ImageDecodeException(id, data.Length, $"OpenCV could not decode the {header.Format} data (corrupt or truncated)");
        }

        try
        {
            return ToTarget(decoded, header, sourceRegion, geometry);
        }
        catch
        {
            decoded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses an image from its header alone: an unknown signature, or a declared size above
    /// <paramref name="maxPixels"/>; and, when <paramref name="complete"/> (the header was read from the whole file),
    /// a size that cannot be read at all, as the image would then be decoded without its size checked.
    /// </summary>
    /// <exception cref="ImageDecodeException">The image is refused; the reason names the limit and its option.</exception>
    internal static void CheckHeader(ImageHeader header, string id, long length, long maxPixels, bool complete)
    {
        if (header.Format == ImageFormat.Unknown)
        {
            throw new ImageDecodeException(id, length, "not a recognised image format (unknown signature)");
        }

        if (complete && (header.Width <= 0 || header.Height <= 0))
        {
            throw new ImageDecodeException(id, length,
                $"the {header.Format} header's image size cannot be read, so it cannot be checked against the limit of {maxPixels} pixels (MaxImagePixels): corrupt header");
        }

        if (header.Pixels > maxPixels)
        {
            throw new ImageDecodeException(id, length,
                $"the header declares {header.Width}x{header.Height} = {header.Pixels} pixels, above the limit of {maxPixels} (MaxImagePixels)");
        }
    }

    /// <summary>The <see cref="ImreadModes"/> used for an image with this header.</summary>
    internal ImreadModes DecodeMode(ImageHeader header, Func<Size, Rect>? sourceRegion = null)
    {
        bool gray = Color == ColorMode.Grayscale;
        ImreadModes mode = (gray ? ImreadModes.Grayscale : ImreadModes.Color) switch
        {
            var m when !ReducedDecode || header.Format != ImageFormat.Jpeg => m,
            _ => (sourceRegion is null ? ReductionFor(header.Width, header.Height) : RegionReductionFor(header.Width, header.Height, sourceRegion)) switch
            {
                8 => gray ? ImreadModes.ReducedGrayscale8 : ImreadModes.ReducedColor8,
                4 => gray ? ImreadModes.ReducedGrayscale4 : ImreadModes.ReducedColor4,
                2 => gray ? ImreadModes.ReducedGrayscale2 : ImreadModes.ReducedColor2,
                _ => gray ? ImreadModes.Grayscale : ImreadModes.Color,
            },
        };
        return HonorExifOrientation ? mode : mode | ImreadModes.IgnoreOrientation;
    }

    /// <summary>
    /// The largest JPEG reduction (8, 4, 2, or 1) whose output still covers what the resize needs, in both
    /// orientations (EXIF may swap the axes after decoding, and the header gives the stored ones).
    /// </summary>
    internal int ReductionFor(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            return 1;
        }

        // EXIF may swap the axes after decoding: require coverage for both orientations.
        int best = Math.Min(Reduction(width, height), Reduction(height, width));
        return best;
    }

    /// <summary>The largest JPEG reduction (8, 4, 2, or 1) at which the source crop's region, in either orientation, still covers the target.</summary>
    internal int RegionReductionFor(int width, int height, Func<Size, Rect> sourceRegion)
    {
        if (width <= 0 || height <= 0)
        {
            return 1;
        }

        Rect a = sourceRegion(new Size(width, height)), b = sourceRegion(new Size(height, width));
        foreach (int r in (ReadOnlySpan<int>)[8, 4, 2])
        {
            // One spare pixel per side for rounding the region's edges onto the reduced grid.
            if (Math.Min(a.Width, b.Width) / r >= Width + 2 && Math.Min(a.Height, b.Height) / r >= Height + 2)
            {
                return r;
            }
        }

        return 1;
    }

    private int Reduction(int w, int h)
    {
        if (Resize == ResizeMode.ShorterSideThenCenterCrop)
        {
            // The resize needs the whole intermediate image (shorter side S), not only the crop.
            Size resized = ShorterSideSize(new Size(w, h));
            return LargestReductionCovering(w, h, resized.Width, resized.Height);
        }

        // Scale from source to target along each axis, as the resize mode will apply it.
        double sx = (double)Width / w, sy = (double)Height / h;
        (sx, sy) = Resize switch
        {
            ResizeMode.CenterCrop => (Math.Max(sx, sy), Math.Max(sx, sy)),
            ResizeMode.Letterbox => (Math.Min(sx, sy), Math.Min(sx, sy)),
            _ => (sx, sy),
        };
        // The size the resize needs from the source: the target size, or the crop window's size.
        return LargestReductionCovering(w, h, Math.Ceiling(w * sx - 1e-9), Math.Ceiling(h * sy - 1e-9));
    }

    private static int LargestReductionCovering(int w, int h, double needW, double needH)
    {
        foreach (int r in (ReadOnlySpan<int>)[8, 4, 2])
        {
            // libjpeg's scaled size is ceil(w / r); it must still cover what the resize needs.
            if ((w + r - 1) / r >= needW && (h + r - 1) / r >= needH)
            {
                return r;
            }
        }

        return 1;
    }

    /// <summary>
    /// The size torchvision's <c>Resize(S)</c> gives an image of <paramref name="full"/> size: the shorter side
    /// becomes S = floor(max(target) / <see cref="CenterCropFraction"/>), the longer one int(S × long / short).
    /// </summary>
    internal Size ShorterSideSize(Size full)
    {
        int s = (int)Math.Floor(Math.Max(Width, Height) / CenterCropFraction);
        bool portrait = full.Width <= full.Height;
        (int shortSide, int longSide) = portrait ? (full.Width, full.Height) : (full.Height, full.Width);
        int other = (int)((double)((long)s * longSide) / shortSide);
        return portrait ? new Size(s, other) : new Size(other, s);
    }

    private Mat ToTarget(Mat decoded, ImageHeader header, Func<Size, Rect>? sourceRegion, Targets.DecodeGeometry? geometry)
    {
        if (geometry is not null)
        {
            // Source pixels are the full-size image's: a reduced JPEG decode (1/r per axis, libjpeg's DCT scaling) comes first.
            Size full = FullSizeOf(decoded.Size(), header);
            geometry.Source = full;
            geometry.NearestFloor = Interpolation == Interpolation.Nearest;
            if (full != decoded.Size())
            {
                double r = Math.Round((double)Math.Max(full.Width, full.Height) / Math.Max(decoded.Width, decoded.Height));
                geometry.Reduced = decoded.Size();
                geometry.Reduction = Targets.Affine2D.Scale(1 / r, 1 / r);
            }
        }

        Mat sized = sourceRegion is not null ? RegionToTarget(decoded, SourceRegionOf(decoded.Size(), header, sourceRegion), geometry) : Resize switch
        {
            ResizeMode.CenterCrop => CropThenResize(decoded, geometry),
            ResizeMode.ShorterSideThenCenterCrop => ResizeThenCrop(decoded, FullSizeOf(decoded.Size(), header), geometry),
            ResizeMode.Letterbox => FitAndPad(decoded, geometry),
            _ => Stretch(decoded, geometry),
        };
        if (Color == ColorMode.Rgb && !LeaveBgr)
        {
            Cv2.CvtColor(sized, sized, ColorConversionCodes.BGR2RGB);
        }

        return sized;
    }

    /// <summary>Resizes (or passes through when the size already matches); disposes <paramref name="src"/> when it returns a new Mat.</summary>
    private Mat ResizeTo(Mat src, Size size)
    {
        if (src.Width == size.Width && src.Height == size.Height)
        {
            return src;
        }

        Mat dst = Resized(src, size, Interpolation);
        src.Dispose();
        return dst;
    }

    /// <summary>A new Mat of <paramref name="size"/> resized from <paramref name="src"/> (which may be a view) with <paramref name="interpolation"/>.</summary>
    internal static Mat Resized(Mat src, Size size, Interpolation interpolation)
    {
        if (interpolation == Interpolation.AntialiasedBilinear)
        {
            return AntialiasedResize.Resize(src, size);
        }

        var dst = new Mat();
        try
        {
            Cv2.Resize(src, dst, size, 0, 0, ToOpenCv(interpolation));
        }
        catch
        {
            dst.Dispose();
            throw;
        }

        return dst;
    }

    private Mat Stretch(Mat src, Targets.DecodeGeometry? geometry)
    {
        geometry?.Then(Targets.Affine2D.Scale((double)Width / src.Width, (double)Height / src.Height));
        return ResizeTo(src, new Size(Width, Height));
    }

    private Mat CropThenResize(Mat src, Targets.DecodeGeometry? geometry)
    {
        double target = (double)Width / Height;
        int cw = src.Width, ch = src.Height;
        if ((double)cw / ch > target)
        {
            cw = Math.Max(1, (int)Math.Round(ch * target));
        }
        else
        {
            ch = Math.Max(1, (int)Math.Round(cw / target));
        }

        if (cw == src.Width && ch == src.Height)
        {
            return Stretch(src, geometry);
        }

        return RegionToTarget(src, new Rect((src.Width - cw) / 2, (src.Height - ch) / 2, cw, ch), geometry);
    }

    /// <summary>
    /// torchvision's evaluation transform: <c>Resize(S)</c> (the shorter side to S, from the full-size image's size
    /// <paramref name="full"/> even when <paramref name="src"/> was decoded at a reduction) then <c>CenterCrop</c> of
    /// the target, its offset int(round((size - target) / 2)) as torchvision's <c>center_crop</c>. Disposes <paramref name="src"/>.
    /// </summary>
    private Mat ResizeThenCrop(Mat src, Size full, Targets.DecodeGeometry? geometry)
    {
        Size resized = ShorterSideSize(full);
        Size decoded = src.Size();
        using Mat whole = ResizeTo(src, resized);
        var crop = new Rect(
            (int)Math.Round((resized.Width - Width) / 2.0, MidpointRounding.ToEven),
            (int)Math.Round((resized.Height - Height) / 2.0, MidpointRounding.ToEven),
            Width,
            Height);
        geometry?.Then(Targets.Affine2D.Scale((double)resized.Width / decoded.Width, (double)resized.Height / decoded.Height)
            .Then(Targets.Affine2D.Translation(-crop.X, -crop.Y)));
        using Mat view = new Mat(whole, crop);
        return view.Clone();
    }

    /// <summary>
    /// The full-size image's size (after EXIF orientation) for an image decoded to <paramref name="decoded"/>: the same
    /// when it was decoded at full size; the header's size, in the decoded image's orientation, after a JPEG reduction.
    /// </summary>
    private static Size FullSizeOf(Size decoded, ImageHeader header)
    {
        int w = header.Width, h = header.Height;
        int r = (int)Math.Round((double)Math.Max(w, h) / Math.Max(1, Math.Max(decoded.Width, decoded.Height)));
        Size full = decoded;
        if (r >= 2)
        {
            // The header gives the stored axes; EXIF orientation may have swapped them in the decoded image.
            if ((w + r - 1) / r == decoded.Width && (h + r - 1) / r == decoded.Height)
            {
                full = new Size(w, h);
            }
            else if ((h + r - 1) / r == decoded.Width && (w + r - 1) / r == decoded.Height)
            {
                full = new Size(h, w);
            }
        }

        return full;
    }

    /// <summary>
    /// The source crop's region of the full-size image, in the coordinates of the decoded one: the same when it was
    /// decoded at full size, scaled down (edges rounded outwards) when a JPEG was decoded at a reduction.
    /// </summary>
    private static Rect SourceRegionOf(Size decoded, ImageHeader header, Func<Size, Rect> sourceRegion)
    {
        Size full = FullSizeOf(decoded, header);
        Rect region = sourceRegion(full);
        if (full == decoded || region.Width <= 0 || region.Height <= 0)
        {
            return region;
        }

        int x0 = (int)((long)region.X * decoded.Width / full.Width), y0 = (int)((long)region.Y * decoded.Height / full.Height);
        int x1 = (int)Math.Min(decoded.Width, ((long)region.Right * decoded.Width + full.Width - 1) / full.Width);
        int y1 = (int)Math.Min(decoded.Height, ((long)region.Bottom * decoded.Height + full.Height - 1) / full.Height);
        return new Rect(x0, y0, Math.Max(1, x1 - x0), Math.Max(1, y1 - y0));
    }

    /// <summary>Resizes <paramref name="roi"/> of <paramref name="src"/>, taken as a view, to the target; disposes <paramref name="src"/>.</summary>
    private Mat RegionToTarget(Mat src, Rect roi, Targets.DecodeGeometry? geometry)
    {
        geometry?.Then(Targets.Affine2D.RegionTo(roi, Width, Height));
        return ResizeRegion(src, roi, new Size(Width, Height), Interpolation, "decoded");
    }

    /// <summary>
    /// Resizes <paramref name="roi"/> of <paramref name="src"/>, taken as a view (copied when it already has the size), to
    /// <paramref name="size"/>; disposes <paramref name="src"/> once the result exists. <paramref name="what"/> names the image in the error.
    /// </summary>
    /// <exception cref="InvalidOperationException">The region is empty or not inside <paramref name="src"/>.</exception>
    internal static Mat ResizeRegion(Mat src, Rect roi, Size size, Interpolation interpolation, string what)
    {
        if (roi.Width <= 0 || roi.Height <= 0 || roi.X < 0 || roi.Y < 0 || roi.Right > src.Width || roi.Bottom > src.Height)
        {
            throw new InvalidOperationException($"The source region {roi} is not a non-empty region of the {src.Width}x{src.Height} {what} image.");
        }

        using var view = new Mat(src, roi);
        Mat dst;
        if (roi.Size == size)
        {
            dst = new Mat();
            try
            {
                view.CopyTo(dst);
            }
            catch
            {
                dst.Dispose();
                throw;
            }
        }
        else
        {
            dst = Resized(view, size, interpolation);
        }

        src.Dispose();
        return dst;
    }

    private Mat FitAndPad(Mat src, Targets.DecodeGeometry? geometry)
    {
        double scale = Math.Min((double)Width / src.Width, (double)Height / src.Height);
        int w = Math.Clamp((int)Math.Round(src.Width * scale), 1, Width);
        int h = Math.Clamp((int)Math.Round(src.Height * scale), 1, Height);
        int left = (Width - w) / 2, top = (Height - h) / 2;
        geometry?.Then(Targets.Affine2D.Scale((double)w / src.Width, (double)h / src.Height).Then(Targets.Affine2D.Translation(left, top)));
        Mat fitted = ResizeTo(src, new Size(w, h));
        if (w == Width && h == Height)
        {
            return fitted;
        }

        var dst = new Mat();
        try
        {
            Cv2.CopyMakeBorder(fitted, dst, top, Height - h - top, left, Width - w - left, BorderTypes.Constant, Scalar.All(0));
        }
        catch
        {
            dst.Dispose();
            throw;
        }
        finally
        {
            fitted.Dispose();
        }

        return dst;
    }

    /// <summary>The OpenCV flag for an interpolation.</summary>
    public static InterpolationFlags ToOpenCv(Interpolation interpolation) => interpolation switch
    {
        Interpolation.Nearest => InterpolationFlags.Nearest,
        Interpolation.Area => InterpolationFlags.Area,
        Interpolation.Cubic => InterpolationFlags.Cubic,
        // Warps have no antialiased filter in OpenCV: bilinear.
        _ => InterpolationFlags.Linear,
    };
}
