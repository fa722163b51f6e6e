namespace Dataflow.Pipeline.Augmentation;

/// <summary>The operations of torchvision's automatic augmentation policies (<c>_apply_op</c>), in its augmentation-space order.</summary>
internal enum PolicyOperation
{
    /// <summary>Leaves the image as it is.</summary>
    Identity,
    /// <summary>Shears along x about the top-left corner: x' = x − m·y.</summary>
    ShearX,
    /// <summary>Shears along y about the top-left corner: y' = y − m·x.</summary>
    ShearY,
    /// <summary>Moves the picture by a whole number of pixels along x.</summary>
    TranslateX,
    /// <summary>Moves the picture by a whole number of pixels along y.</summary>
    TranslateY,
    /// <summary>Rotates about the centre, counter-clockwise by m degrees.</summary>
    Rotate,
    /// <summary>Scales every value by 1 + m (a blend with black).</summary>
    Brightness,
    /// <summary>Blends with the luma image by 1 + m (saturation).</summary>
    Color,
    /// <summary>Blends with the mean luma by 1 + m.</summary>
    Contrast,
    /// <summary>Blends with a smoothed image by 1 + m (the 3×3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, border pixels kept).</summary>
    Sharpness,
    /// <summary>Keeps the m highest bits of every value.</summary>
    Posterize,
    /// <summary>Inverts every value at or above the threshold m.</summary>
    Solarize,
    /// <summary>Stretches each channel so its darkest value becomes 0 and its brightest 255.</summary>
    AutoContrast,
    /// <summary>Equalizes each channel's histogram as torchvision (and PIL) do.</summary>
    Equalize,
    /// <summary>255 − value.</summary>
    Invert,
}
