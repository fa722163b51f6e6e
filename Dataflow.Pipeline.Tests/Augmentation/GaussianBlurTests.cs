using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class GaussianBlurTests
{
    [TestMethod]
    public void Apply_FixedSigma_EqualsOpenCvGaussianBlur()
    {
        using Mat source = Source();
        using var expected = new Mat();
        Cv2.GaussianBlur(source, expected, new Size(7, 7), 1.5, 1.5, BorderTypes.Reflect101);
        using Mat result = Run(new GaussianBlur(7, (1.5, 1.5)), source);
        AreSame(expected, result);
    }

    [TestMethod]
    public void Apply_SigmaRange_EqualsOpenCvBlurWithTheSampleDrawnSigma()
    {
        // The draws are p's coin, then sigma: replaying the sample's generator gives the sigma used.
        using Mat source = Source(48, 40);
        var sigmas = new HashSet<double>();
        for (int seed = 0; seed < 10; seed++)
        {
            SampleRandom replay = Context(seed).Random;
            replay.Chance(1);
            double sigma = replay.Uniform(0.5, 3);
            Assert.IsInRange(0.5, 3.0, sigma);
            using var expected = new Mat();
            Cv2.GaussianBlur(source, expected, new Size(9, 9), sigma, sigma, BorderTypes.Reflect101);
            using Mat result = Run(new GaussianBlur(9, (0.5, 3)), source, seed);
            AreSame(expected, result, $"seed {seed}");
            sigmas.Add(sigma);
        }

        Assert.HasCount(10, sigmas);
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new GaussianBlur(p: 0));

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new GaussianBlur(5, (0.1, 3)));

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentOutOfRangeException>(() => new GaussianBlur(4), "kernelSize", "Parameter \"kernelSize\" must be an odd number between 1 and 255, was 4.");
        Rejects<ArgumentOutOfRangeException>(() => new GaussianBlur(3, (0, 1)), "sigma", "Parameter \"sigma\" must be a range (low, high) with 0 < low <= high <= 100, was (0, 1).");
    }

    [TestMethod]
    public void ToString_ListsParameters() => Assert.AreEqual("GaussianBlur(kernelSize=5, sigma=(0.1, 2), p=1)", new GaussianBlur().ToString());
}
