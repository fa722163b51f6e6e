namespace Dataflow.Pipeline.Decoding;

/// <summary>The channel order and count of decoded images.</summary>
public enum ColorMode
{
    /// <summary>Three channels, red first (Keras, torchvision).</summary>
    Rgb,
    /// <summary>Three channels, blue first (OpenCV, Caffe).</summary>
    Bgr,
    /// <summary>One channel.</summary>
    Grayscale,
}

/// <summary>How a decoded image is brought to the target size.</summary>
public enum ResizeMode
{
    /// <summary>Resize to the target size, ignoring aspect ratio (Keras' default).</summary>
    Stretch,
    /// <summary>Crop the largest centred window of the target's aspect ratio, then resize (Keras <c>crop_to_aspect_ratio</c>; torchvision Resize + CenterCrop).</summary>
    CenterCrop,
    /// <summary>Resize to fit inside the target keeping the aspect ratio, and pad the rest (Keras <c>pad_to_aspect_ratio</c>).</summary>
    Letterbox,
}

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
