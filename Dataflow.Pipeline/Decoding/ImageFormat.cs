namespace Dataflow.Pipeline.Decoding;

/// <summary>The container formats the header reader recognises.</summary>
public enum ImageFormat
{
    /// <summary>Not recognised from the first bytes.</summary>
    Unknown,
    /// <summary>JPEG (JFIF/EXIF).</summary>
    Jpeg,
    /// <summary>PNG.</summary>
    Png,
    /// <summary>Windows bitmap.</summary>
    Bmp,
    /// <summary>WebP (RIFF).</summary>
    WebP,
    /// <summary>TIFF (either byte order).</summary>
    Tiff,
    /// <summary>GIF.</summary>
    Gif,
    /// <summary>Netpbm (PBM/PGM/PPM).</summary>
    Pnm,
}
