using Dataflow.Pipeline.Augmentation;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class AugmentationPresetsTests
{
    [TestMethod]
    public void Get_EveryName_ReturnsItsPreset()
    {
        Assert.IsEmpty(AugmentationPresets.Get("none"));
        Assert.IsInstanceOfType<RandomHorizontalFlip>(AugmentationPresets.Get("flip").Single());
        Assert.IsInstanceOfType<RandomAffine>(AugmentationPresets.Get("light")[0]);
        Assert.IsFalse(AugmentationPresets.Get("light").Any(a => a is RandomHorizontalFlip), "light keeps digits and text readable: no flips");
        Assert.AreEqual(
            "RandomResizedCrop(scale=(0.08, 1), ratio=(0.75, 1.333)); RandomHorizontalFlip(p=0.5); ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0, p=1)",
            string.Join("; ", AugmentationPresets.Get("ImageNet")));
    }

    [TestMethod]
    public void Get_AutomaticPolicies_ReturnThePolicyAloneWithTorchvisionDefaults()
    {
        Assert.AreEqual("RandAugment(numOps=2, magnitude=9, numMagnitudeBins=31, interpolation=Nearest, fill=0)", AugmentationPresets.Get("randaugment").Single().ToString());
        Assert.AreEqual("TrivialAugmentWide(numMagnitudeBins=31, interpolation=Nearest, fill=0)", AugmentationPresets.Get("TrivialAugment").Single().ToString());
        Assert.AreEqual("AutoAugment(policy=ImageNet, interpolation=Nearest, fill=0)", AugmentationPresets.Get(" autoaugment ").Single().ToString());
    }

    [TestMethod]
    public void ImageNet_FirstTransform_IsASourceCropSoItIsFusedWithTheResize() =>
        Assert.IsInstanceOfType<ISourceCropAugmentation>(AugmentationPresets.ImageNet()[0]);

    [TestMethod]
    public void Get_UnknownName_ThrowsListingTheNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => AugmentationPresets.Get("heavy"));
        Assert.AreEqual("name", e.ParamName);
        Assert.StartsWith("Parameter \"name\" must be one of none, flip, light, imagenet, randaugment, trivialaugment, autoaugment, was \"heavy\".", e.Message);
    }
}
