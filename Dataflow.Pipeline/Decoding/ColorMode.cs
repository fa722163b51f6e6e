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
