namespace Dataflow.Pipeline.Decoding;

/// <summary>Resampling used when resizing.</summary>
public enum Interpolation
{
    /// <summary>Nearest neighbour.</summary>
    Nearest,
    /// <summary>Bilinear.</summary>
    Bilinear,
    /// <summary>Pixel-area relation (best for shrinking).</summary>
    Area,
    /// <summary>Bicubic.</summary>
    Cubic,
}
