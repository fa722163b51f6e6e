namespace Dataflow.Pipeline.Augmentation;

/// <summary>How <see cref="RandomCrop"/> fills the padding around the image.</summary>
public enum PaddingMode
{
    /// <summary>A constant value (<see cref="RandomCrop.Fill"/>).</summary>
    Constant,
    /// <summary>Mirror without repeating the edge pixel (torchvision <c>reflect</c>, OpenCV <c>BORDER_REFLECT_101</c>).</summary>
    Reflect,
    /// <summary>Repeat the edge pixel (torchvision <c>edge</c>, OpenCV <c>BORDER_REPLICATE</c>).</summary>
    Edge,
}
