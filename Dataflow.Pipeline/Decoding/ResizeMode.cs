namespace Dataflow.Pipeline.Decoding;

/// <summary>How a decoded image is brought to the target size.</summary>
public enum ResizeMode
{
    /// <summary>Resize to the target size, ignoring aspect ratio (Keras' default).</summary>
    Stretch,
    /// <summary>
    /// Crop the largest centred window of the target's aspect ratio, then resize it to the target (Keras
    /// <c>crop_to_aspect_ratio</c>).
    /// </summary>
    /// <remarks>
    /// Crop-then-resize: it keeps the whole shorter side, so it is not torchvision's <c>Resize</c> + <c>CenterCrop</c>
    /// (which resizes first and keeps only the centre of the resized image); for that, use
    /// <see cref="ShorterSideThenCenterCrop"/>.
    /// </remarks>
    CenterCrop,
    /// <summary>Resize to fit inside the target keeping the aspect ratio, and pad the rest (Keras <c>pad_to_aspect_ratio</c>).</summary>
    Letterbox,
    /// <summary>
    /// Resize the shorter side to S keeping the aspect ratio, then crop the centred target (torchvision's evaluation
    /// transform <c>Resize(256)</c> + <c>CenterCrop(224)</c>, which pretrained models expect).
    /// </summary>
    /// <remarks>
    /// S = floor(max(width, height) / <see cref="PipelineOptions.CenterCropFraction"/>): 256 for a 224 target with
    /// the default 0.875. Rounded as torchvision does: the shorter side becomes S, the longer one
    /// int(S × long / short), and the crop starts at int(round((size − target) / 2)) on each axis. The resize
    /// is OpenCV's, with <see cref="PipelineOptions.Interpolation"/>: the result equals <c>Cv2.Resize</c> to that
    /// size followed by the centred sub-rectangle. torchvision resizes a PIL image with Pillow's bilinear, which
    /// antialiases when it shrinks: for its pixels use <see cref="Interpolation.AntialiasedBilinear"/> (and no
    /// reduced JPEG decode). Taking S from the larger side keeps the crop inside the
    /// resized image for a non-square target too.
    /// </remarks>
    ShorterSideThenCenterCrop,
}
