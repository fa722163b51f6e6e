using System.Collections.Immutable;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>Ready-made augmentation lists for <see cref="PipelineOptions.Augmentations"/>, by name.</summary>
/// <remarks>Each call returns a new read-only list (an <see cref="ImmutableArray{T}"/>: no caller can change it for another);
/// the transforms are immutable and may be shared.</remarks>
public static class AugmentationPresets
{
    /// <summary>The preset names <see cref="Get"/> accepts: none, flip, light, imagenet, randaugment, trivialaugment, autoaugment.</summary>
    public static IReadOnlyList<string> Names { get; } = ImmutableArray.Create("none", "flip", "light", "imagenet", "randaugment", "trivialaugment", "autoaugment");

    /// <summary>No augmentation.</summary>
    public static IReadOnlyList<IAugmentation> None() => ImmutableArray<IAugmentation>.Empty;

    /// <summary>A horizontal flip with probability 0.5.</summary>
    public static IReadOnlyList<IAugmentation> Flip() => ImmutableArray.Create<IAugmentation>(new RandomHorizontalFlip());

    /// <summary>
    /// Small changes that keep any picture's meaning, digits and text included (no flips): a random affine of up to
    /// ±10°, ±10 % shift and 0.9–1.1 scale (uncovered pixels black), then ±20 % brightness and contrast.
    /// </summary>
    public static IReadOnlyList<IAugmentation> Light() => ImmutableArray.Create<IAugmentation>(
        new RandomAffine(degrees: (-10, 10), translate: (0.1, 0.1), scale: (0.9, 1.1)),
        new ColorJitter(brightness: 0.2, contrast: 0.2));

    /// <summary>
    /// The classic ImageNet training recipe: <see cref="RandomResizedCrop"/> (scale 0.08–1, ratio 3/4–4/3), fused with the
    /// decoder's resize; a horizontal flip with probability 0.5; colour jitter of 0.4 on brightness, contrast and saturation.
    /// </summary>
    public static IReadOnlyList<IAugmentation> ImageNet() => ImmutableArray.Create<IAugmentation>(
        new RandomResizedCrop(),
        new RandomHorizontalFlip(),
        new ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4));

    /// <summary>
    /// <see cref="Augmentation.RandAugment"/> with torchvision's defaults (2 operations at magnitude bin 9 of 31), alone: torchvision's
    /// reference recipe puts a random resized crop and a horizontal flip before it, which add to it where they suit the data.
    /// </summary>
    public static IReadOnlyList<IAugmentation> RandAugment() => ImmutableArray.Create<IAugmentation>(new RandAugment());

    /// <summary><see cref="TrivialAugmentWide"/> with torchvision's defaults (31 magnitude bins), alone.</summary>
    public static IReadOnlyList<IAugmentation> TrivialAugment() => ImmutableArray.Create<IAugmentation>(new TrivialAugmentWide());

    /// <summary><see cref="Augmentation.AutoAugment"/> with the ImageNet policy, alone.</summary>
    public static IReadOnlyList<IAugmentation> AutoAugment() => ImmutableArray.Create<IAugmentation>(new AutoAugment());

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not one of <see cref="Names"/>.</exception>
    public static IReadOnlyList<IAugmentation> Get(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "none" => None(),
        "flip" => Flip(),
        "light" => Light(),
        "imagenet" => ImageNet(),
        "randaugment" => RandAugment(),
        "trivialaugment" => TrivialAugment(),
        "autoaugment" => AutoAugment(),
        _ => throw new ArgumentException($"Parameter \"{nameof(name)}\" must be one of {string.Join(", ", Names)}, was \"{name}\".", nameof(name)),
    };
}
