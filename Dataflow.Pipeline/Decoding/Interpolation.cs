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
    /// <summary>
    /// Bilinear with antialiasing, as Pillow's <c>Image.resize(size, Image.BILINEAR)</c> and so torchvision's classic
    /// <c>Resize</c> on a PIL image: when shrinking, the triangle filter widens with the factor, so every source pixel
    /// under an output pixel counts (OpenCV's <see cref="Bilinear"/> reads only the nearest two per axis, and aliases).
    /// </summary>
    /// <remarks>
    /// Pillow's arithmetic, bit for bit for the same 8-bit image. It applies to the decoder's resize (every
    /// <see cref="ResizeMode"/>) and to a cache size's resize to the target; augmentations that warp (rotation, affine)
    /// and the policies use <see cref="Bilinear"/> for it. A JPEG decoded at a reduction (<see cref="PipelineOptions.ReducedDecode"/>)
    /// is resized from the smaller image, so for torchvision's pixels turn <c>ReducedDecode</c> off.
    /// </remarks>
    AntialiasedBilinear,
}
