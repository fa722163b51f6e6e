using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class OneOfTests
{
    [TestMethod]
    public void Apply_EqualWeights_AppliesExactlyOneAndEachOccurs()
    {
        using Mat source = Source();
        using Mat horizontal = new(), vertical = new();
        Cv2.Flip(source, horizontal, FlipMode.Y);
        Cv2.Flip(source, vertical, FlipMode.X);
        var oneOf = new OneOf(new RandomHorizontalFlip(1), new RandomVerticalFlip(1));
        int h = 0, v = 0;
        for (int seed = 0; seed < 60; seed++)
        {
            using Mat result = Run(oneOf, source, seed);
            bool isH = Same(horizontal, result), isV = Same(vertical, result);
            Assert.IsTrue(isH ^ isV, $"seed {seed}: not exactly one of the two flips");
            h += isH ? 1 : 0;
            v += isV ? 1 : 0;
        }

        Assert.IsGreaterThan(10, h, "horizontal picks");
        Assert.IsGreaterThan(10, v, "vertical picks");
    }

    [TestMethod]
    public void Apply_ZeroWeight_NeverPicked()
    {
        using Mat source = Source();
        using Mat horizontal = new();
        Cv2.Flip(source, horizontal, FlipMode.Y);
        var oneOf = new OneOf([new RandomHorizontalFlip(1), new RandomVerticalFlip(1)], [1, 0]);
        for (int seed = 0; seed < 20; seed++)
        {
            using Mat result = Run(oneOf, source, seed);
            AreSame(horizontal, result, $"seed {seed}");
        }
    }

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new OneOf(new RandomRotation(20), new RandomErasing(p: 1)));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentException>(() => new OneOf(), "transforms", "Parameter \"transforms\" must hold at least one transform, was empty.");
        Rejects<ArgumentException>(() => new OneOf([new RandomGrayscale()], [1, 2]), "weights",
            "Parameter \"weights\" must hold 1 finite, non-negative weights that are not all 0, was [1, 2].");
        Rejects<ArgumentException>(() => new OneOf([new RandomGrayscale(), null!], null), "transforms", "Parameter \"transforms\" must not hold null, was null at index 1.");
    }

    [TestMethod]
    public void ToString_ListsTransformsAndWeights() =>
        Assert.AreEqual("OneOf([RandomGrayscale(p=0.1), RandomVerticalFlip(p=0.5)], weights=[1, 1])", new OneOf(new RandomGrayscale(), new RandomVerticalFlip()).ToString());
}
