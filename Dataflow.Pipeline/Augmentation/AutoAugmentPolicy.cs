namespace Dataflow.Pipeline.Augmentation;

/// <summary>The learned <see cref="AutoAugment"/> policies (torchvision <c>AutoAugmentPolicy</c>).</summary>
public enum AutoAugmentPolicy
{
    /// <summary>Learned on ImageNet: colour, posterize, solarize, equalize and rotation heavy.</summary>
    ImageNet,
    /// <summary>Learned on CIFAR-10.</summary>
    Cifar10,
    /// <summary>Learned on SVHN (house-number digits): shear, invert and equalize heavy, no flips or colour shifts that change digits.</summary>
    Svhn,
}
