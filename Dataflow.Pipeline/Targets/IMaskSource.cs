using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// A mask made when its sample is read, not held by the catalog: decoded from bytes, rasterized from polygons or run-length
/// encoding, or read from anywhere, at the size of the decoded source image.
/// </summary>
/// <remarks>
/// <para>A semantic mask is a label map (each pixel a class index, or a value the dataset keeps for "ignore" such as 255); an
/// instance mask is 1 inside its object and 0 outside. The pipeline moves the mask with the same geometry as the pixels
/// (nearest-neighbour, the outside filled) and disposes what <see cref="Render"/> returns.</para>
/// <para>Implementations must be thread-safe and give the same mask every time: the pipeline may render a sample's mask on any
/// thread, in any epoch.</para>
/// </remarks>
public interface IMaskSource
{
    /// <summary>Makes the mask: a new 8-bit, 1-channel Mat of <paramref name="size"/>, which the caller owns.</summary>
    /// <param name="size">The size of the decoded source image (before any resize).</param>
    /// <exception cref="InvalidDataException">The mask cannot be made at that size (an encoded mask of another size); the message says why.</exception>
    Mat Render(Size size);
}
