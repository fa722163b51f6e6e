using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>What a decode did, for targets to follow: the full-size source image's size and the map from its pixels to the result's.</summary>
internal sealed class DecodeGeometry
{
    /// <summary>The full-size, oriented source image's size: the space of the sample's targets.</summary>
    public Size Source { get; set; }

    /// <summary>The size of a JPEG decoded at a reduction (libjpeg's DCT scaling), or null when it was decoded at full size.</summary>
    public Size? Reduced { get; set; }

    /// <summary>The map from source pixels to the reduced decode's (identity without one).</summary>
    public Affine2D Reduction { get; set; } = Affine2D.Identity;

    /// <summary>The map from the decoded image's pixels to the result's (the resize mode, or a fused source crop).</summary>
    public Affine2D Resize { get; set; } = Affine2D.Identity;

    /// <summary>True when the resize used OpenCV's nearest neighbour, which samples by pixel corners (see <see cref="TargetState.Apply"/>).</summary>
    public bool NearestFloor { get; set; }

    /// <summary>The whole map from source pixels to the result's.</summary>
    public Affine2D Map => Reduction.Then(Resize);

    /// <summary>Appends <paramref name="next"/> to <see cref="Resize"/>.</summary>
    public void Then(in Affine2D next) => Resize = Resize.Then(next);
}
