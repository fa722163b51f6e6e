using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomApplyTests
{
    [TestMethod]
    public void Apply_POne_AppliesAllInOrder()
    {
        using Mat source = Source(30, 20);
        using var expected = new Mat();
        Cv2.Rotate(source, expected, RotateFlags.Rotate180);
        using Mat result = Run(new RandomApply(1, new RandomHorizontalFlip(1), new CenterCrop(1), new RandomVerticalFlip(1)), source);
        AreSame(expected, result);
    }

    [TestMethod]
    public void Apply_ChainOfNewMats_EqualsTheStepsAppliedOneByOne()
    {
        // Every step returns a new Mat; the combinator must pass each on (and dispose the ones in between).
        using Mat source = Source(30, 20);
        using Mat rotated = Run(new RandomRotation((90, 90)), source);
        using Mat expected = Run(new CenterCrop(0.5), rotated);
        using Mat result = Run(new RandomApply(1, new RandomRotation((90, 90)), new CenterCrop(0.5)), source);
        AreSame(expected, result);
    }

    [TestMethod]
    public void Apply_LaterStepThrows_IntermediateMatDisposedInputKept()
    {
        using Mat source = Source();
        using Mat input = source.Clone();
        var spy = new ThrowingSpy();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new RandomApply(1, new RandomRotation((90, 90)), spy).Apply(input, Context(1)));
        Assert.AreEqual("spy", e.Message);
        Assert.IsNotNull(spy.Received);
        Assert.AreNotSame(input, spy.Received, "the rotation made a new Mat");
        Assert.IsTrue(spy.Received.IsDisposed, "the intermediate Mat was disposed");
        Assert.IsFalse(input.IsDisposed, "the caller's Mat is the caller's");
    }

    private sealed class ThrowingSpy : IAugmentation
    {
        public Mat? Received { get; private set; }

        public Mat Apply(Mat image, AugmentationContext context)
        {
            Received = image;
            throw new InvalidOperationException("spy");
        }
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new RandomApply(0, new RandomRotation(45), new RandomErasing(p: 1)));

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomApply(0.5, new RandomHorizontalFlip(1)));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandomApply(2, new RandomGrayscale()), "p", "Parameter \"p\" must be at least 0 and at most 1, was 2.");
        Rejects<ArgumentException>(() => new RandomApply(0.5), "transforms", "Parameter \"transforms\" must hold at least one transform, was empty.");
    }

    [TestMethod]
    public void ToString_ListsPAndTransforms() =>
        Assert.AreEqual("RandomApply(p=0.8, [RandomGrayscale(p=1)])", new RandomApply(0.8, new RandomGrayscale(1)).ToString());
}
