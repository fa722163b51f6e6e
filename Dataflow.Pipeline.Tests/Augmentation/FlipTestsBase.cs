using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>The contract both flips meet: exact mirror at p = 1, identity at p = 0, either one at p = 0.5.</summary>
public abstract class FlipTestsBase
{
    private protected abstract IAugmentation Create(double p);

    private protected abstract FlipMode Mode { get; }

    private protected abstract string Name { get; }

    [TestMethod]
    public void Apply_POne_MirrorsExactlyAsOpenCvFlip()
    {
        using Mat source = Source();
        using Mat expected = new();
        Cv2.Flip(source, expected, Mode);
        for (int seed = 0; seed < 10; seed++)
        {
            using Mat result = Run(Create(1), source, seed);
            AreSame(expected, result, $"seed {seed}");
        }
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(Create(0));

    [TestMethod]
    public void Apply_PHalf_EitherMirrorOrIdentityAndBothOccur()
    {
        using Mat source = Source();
        using Mat mirrored = new();
        Cv2.Flip(source, mirrored, Mode);
        int flips = 0;
        for (int seed = 0; seed < 100; seed++)
        {
            using Mat result = Run(Create(0.5), source, seed);
            bool flipped = Same(mirrored, result);
            Assert.IsTrue(flipped || Same(source, result), $"seed {seed}: neither the source nor its mirror");
            flips += flipped ? 1 : 0;
        }

        Assert.IsTrue(flips is > 25 and < 75, $"{flips} flips in 100");
    }

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(Create(0.5));

    [TestMethod]
    public void Constructor_PAboveOne_ThrowsNamingP() =>
        Rejects<ArgumentOutOfRangeException>(() => Create(1.5), "p", "Parameter \"p\" must be at least 0 and at most 1, was 1.5.");

    [TestMethod]
    public void ToString_NamesTransformAndP() => Assert.AreEqual($"{Name}(p=0.3)", Create(0.3).ToString());
}
