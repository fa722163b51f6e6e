using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>
/// RandAugment, TrivialAugmentWide and AutoAugment: every result is one of the policy's allowed chains of operations
/// (checked by redoing each candidate), the draws cover the operation set, determinism, and parameter checks.
/// </summary>
[TestClass]
public sealed class AutomaticPolicyTests
{
    private static Mat Chain(Mat source, params (PolicyOperation Op, double Magnitude)[] steps)
    {
        Mat current = source.Clone();
        foreach ((PolicyOperation op, double m) in steps)
        {
            Mat next = PolicyOps.Apply(current, op, m, InterpolationFlags.Nearest, 0, new AugmentationContext(0, 0, 0, ColorMode.Bgr));
            if (!ReferenceEquals(next, current))
            {
                current.Dispose();
            }

            current = next;
        }

        return current;
    }

    /// <summary>The candidates that give <paramref name="result"/>, by name; fails when none does.</summary>
    private static List<string> Matching(Mat source, Mat result, IEnumerable<(PolicyOperation Op, double Magnitude)[]> candidates, string message)
    {
        var names = new List<string>();
        foreach ((PolicyOperation Op, double Magnitude)[] candidate in candidates)
        {
            using Mat expected = Chain(source, candidate);
            if (Same(expected, result))
            {
                names.Add(string.Join(" ", candidate.Select(s => PolicyOps.Describe(s.Op, s.Magnitude))));
            }
        }

        Assert.IsNotEmpty(names, message + ": no allowed operation gives this result");
        return names;
    }

    private static IEnumerable<(PolicyOperation Op, double Magnitude)> Signed(PolicyOperation op, double magnitude) =>
        PolicyOps.IsSigned(op) ? [(op, magnitude), (op, -magnitude)] : [(op, magnitude)];

    [TestMethod]
    public void RandAugment_OneOp_EveryResultIsOneOperationAtTheFixedMagnitudeAndTheDrawsCoverAll14()
    {
        using Mat source = Source(32, 24);
        var policy = new RandAugment(numOps: 1, magnitude: 12, numMagnitudeBins: 31);
        var candidates = PolicyOps.RandomSpace
            .SelectMany(op => Signed(op, PolicyOps.Magnitude(op, 12, 31, source.Size(), wide: false)))
            .Select(step => new[] { step }).ToList();
        var seen = new HashSet<string>();
        for (int seed = 0; seed < 80; seed++)
        {
            using Mat result = Run(policy, source, seed);
            seen.UnionWith(Matching(source, result, candidates, $"seed {seed}").Select(n => n.Split('(')[0]));
        }

        Assert.IsGreaterThanOrEqualTo(13, seen.Count, $"operations drawn in 80 seeds: {string.Join(", ", seen)}");
    }

    [TestMethod]
    public void RandAugment_TwoOps_EveryResultIsAChainOfTwo()
    {
        using Mat source = Source(32, 24);
        var policy = new RandAugment();
        var singles = PolicyOps.RandomSpace.SelectMany(op => Signed(op, PolicyOps.Magnitude(op, 9, 31, source.Size(), wide: false))).ToList();
        var candidates = singles.SelectMany(a => singles.Select(b => new[] { a, b })).ToList();
        for (int seed = 0; seed < 6; seed++)
        {
            using Mat result = Run(policy, source, seed);
            Matching(source, result, candidates, $"seed {seed}");
        }
    }

    [TestMethod]
    public void RandAugment_ZeroOps_Identity() => IdentityAtZero(new RandAugment(numOps: 0));

    [TestMethod]
    public void TrivialAugmentWide_EveryResultIsOneOperationAtOneOfItsBins()
    {
        using Mat source = Source(32, 24);
        var policy = new TrivialAugmentWide(numMagnitudeBins: 5);
        var candidates = PolicyOps.RandomSpace
            .SelectMany(op => Enumerable.Range(0, PolicyOps.HasMagnitude(op) ? 5 : 1)
                .SelectMany(bin => Signed(op, PolicyOps.Magnitude(op, bin, 5, source.Size(), wide: true))))
            .Select(step => new[] { step }).ToList();
        var seen = new HashSet<string>();
        for (int seed = 0; seed < 60; seed++)
        {
            using Mat result = Run(policy, source, seed);
            seen.UnionWith(Matching(source, result, candidates, $"seed {seed}").Select(n => n.Split('(')[0]));
        }

        Assert.IsGreaterThanOrEqualTo(12, seen.Count, $"operations drawn in 60 seeds: {string.Join(", ", seen)}");
    }

    [TestMethod]
    [DataRow(AutoAugmentPolicy.ImageNet)]
    [DataRow(AutoAugmentPolicy.Svhn)]
    public void AutoAugment_EveryResultIsASubPolicyWithSomeOfItsOperations(AutoAugmentPolicy which)
    {
        using Mat source = Source(32, 24);
        var policy = new AutoAugment(which);
        // Every step of every sub-policy may run or not, with either sign: all two-step chains of those (and shorter).
        var steps = AllSteps(which, source.Size()).Distinct().ToList();
        var candidates = new List<(PolicyOperation, double)[]> { Array.Empty<(PolicyOperation, double)>() };
        candidates.AddRange(steps.Select(s => new[] { s }));
        candidates.AddRange(steps.SelectMany(a => steps.Select(b => new[] { a, b })));
        bool changed = false;
        for (int seed = 0; seed < 5; seed++)
        {
            using Mat result = Run(policy, source, seed);
            Matching(source, result, candidates, $"seed {seed}");
            changed |= !Same(source, result);
        }

        Assert.IsTrue(changed, "no seed changed the image");
    }

    /// <summary>Every (operation, signed magnitude) torchvision's table for <paramref name="policy"/> can produce.</summary>
    private static IEnumerable<(PolicyOperation Op, double Magnitude)> AllSteps(AutoAugmentPolicy policy, Size size)
    {
        (PolicyOperation Op, int? Bin)[] table = policy == AutoAugmentPolicy.ImageNet
            ?
            [
                (PolicyOperation.Posterize, 8), (PolicyOperation.Rotate, 9), (PolicyOperation.Solarize, 5), (PolicyOperation.AutoContrast, null),
                (PolicyOperation.Equalize, null), (PolicyOperation.Posterize, 7), (PolicyOperation.Posterize, 6), (PolicyOperation.Solarize, 4),
                (PolicyOperation.Rotate, 8), (PolicyOperation.Solarize, 3), (PolicyOperation.Posterize, 5), (PolicyOperation.Rotate, 3),
                (PolicyOperation.Solarize, 8), (PolicyOperation.Color, 0), (PolicyOperation.Invert, null), (PolicyOperation.Color, 4),
                (PolicyOperation.Contrast, 8), (PolicyOperation.Color, 2), (PolicyOperation.Color, 8), (PolicyOperation.Solarize, 7),
                (PolicyOperation.Sharpness, 7), (PolicyOperation.ShearX, 5),
            ]
            :
            [
                (PolicyOperation.ShearX, 4), (PolicyOperation.Invert, null), (PolicyOperation.ShearY, 8), (PolicyOperation.Equalize, null),
                (PolicyOperation.Solarize, 6), (PolicyOperation.Rotate, 3), (PolicyOperation.AutoContrast, null), (PolicyOperation.ShearY, 5),
                (PolicyOperation.Solarize, 3), (PolicyOperation.TranslateY, 6), (PolicyOperation.Contrast, 3), (PolicyOperation.Rotate, 4),
                (PolicyOperation.TranslateY, 2), (PolicyOperation.ShearY, 6), (PolicyOperation.Solarize, 8), (PolicyOperation.ShearY, 7),
                (PolicyOperation.TranslateX, 3), (PolicyOperation.ShearX, 6), (PolicyOperation.Solarize, 2), (PolicyOperation.TranslateY, 7),
                (PolicyOperation.ShearY, 4), (PolicyOperation.ShearX, 9), (PolicyOperation.TranslateY, 3), (PolicyOperation.ShearX, 2),
            ];
        return table.SelectMany(t => Signed(t.Op, t.Bin is int bin ? PolicyOps.Magnitude(t.Op, bin, 10, size, wide: false) : 0));
    }

    [TestMethod]
    public void AutoAugment_ImageNet_DrawsManySubPolicies()
    {
        using Mat source = Source(32, 24);
        var results = new HashSet<string>();
        for (int seed = 0; seed < 60; seed++)
        {
            using Mat result = Run(new AutoAugment(), source, seed);
            results.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(ReferenceImages.Bytes(result))));
        }

        Assert.IsGreaterThan(20, results.Count, "distinct results in 60 seeds");
    }

    [TestMethod]
    public void Policies_SameSeedSameResultAndSeedsDiffer()
    {
        Deterministic(new RandAugment());
        Deterministic(new TrivialAugmentWide());
        Deterministic(new AutoAugment());
        Deterministic(new AutoAugment(AutoAugmentPolicy.Cifar10, Interpolation.Bilinear, fill: 128));
    }

    [TestMethod]
    public void Policies_ColourOrderFromTheContext()
    {
        // Colour at bin 30 (factor 1 ± 0.9) on a saturated image: the luma it blends with differs between RGB and BGR.
        using var source = new Mat(8, 8, MatType.CV_8UC3, new Scalar(200, 40, 10));
        var policy = new RandAugment(numOps: 1, magnitude: 30);
        bool differs = false;
        for (int seed = 0; seed < 40 && !differs; seed++)
        {
            using Mat rgb = policy.Apply(source.Clone(), new AugmentationContext(seed, 0, 0, ColorMode.Rgb));
            using Mat bgr = policy.Apply(source.Clone(), new AugmentationContext(seed, 0, 0, ColorMode.Bgr));
            differs = !Same(rgb, bgr);
        }

        Assert.IsTrue(differs, "RGB and BGR contexts gave the same results for 40 seeds");
    }

    [TestMethod]
    public void Constructors_InvalidArguments_ThrowNamingParameterAndRange()
    {
        Rejects<ArgumentOutOfRangeException>(() => new RandAugment(numOps: -1), "numOps", "Parameter \"numOps\" must be between 0 and 100, was -1.");
        Rejects<ArgumentOutOfRangeException>(() => new RandAugment(magnitude: 31), "magnitude", "Parameter \"magnitude\" must be between 0 and 30, was 31.");
        Rejects<ArgumentOutOfRangeException>(() => new RandAugment(magnitude: 5, numMagnitudeBins: 5), "magnitude", "Parameter \"magnitude\" must be between 0 and 4, was 5.");
        Rejects<ArgumentOutOfRangeException>(() => new RandAugment(numMagnitudeBins: 1, magnitude: 0), "numMagnitudeBins", "Parameter \"numMagnitudeBins\" must be between 2 and 1000, was 1.");
        Rejects<ArgumentOutOfRangeException>(() => new RandAugment(fill: 256), "fill", "Parameter \"fill\" must be at least 0 and at most 255, was 256.");
        Rejects<ArgumentOutOfRangeException>(() => new RandAugment(interpolation: (Interpolation)9), "interpolation", "Parameter \"interpolation\" must be one of Nearest, Bilinear, Area, Cubic, AntialiasedBilinear, was 9.");
        Rejects<ArgumentOutOfRangeException>(() => new TrivialAugmentWide(numMagnitudeBins: 0), "numMagnitudeBins", "Parameter \"numMagnitudeBins\" must be between 2 and 1000, was 0.");
        Rejects<ArgumentOutOfRangeException>(() => new TrivialAugmentWide(fill: double.NaN), "fill", "Parameter \"fill\" must be at least 0 and at most 255, was NaN.");
        Rejects<ArgumentOutOfRangeException>(() => new AutoAugment((AutoAugmentPolicy)7), "policy", "Parameter \"policy\" must be one of ImageNet, Cifar10, Svhn, was 7.");
        Rejects<ArgumentOutOfRangeException>(() => new AutoAugment(fill: -1), "fill", "Parameter \"fill\" must be at least 0 and at most 255, was -1.");
    }

    [TestMethod]
    public void Policies_DeclareAnyChannelOrderAndKeepTheSize()
    {
        foreach (IAugmentation policy in new IAugmentation[] { new RandAugment(), new TrivialAugmentWide(), new AutoAugment() })
        {
            Assert.IsTrue(policy.HandlesAnyChannelOrder, policy.ToString());
            Assert.AreEqual(new Size(24, 20), policy.OutputSize(new Size(24, 20)), policy.ToString());
        }
    }

    [TestMethod]
    public void ToString_ListsParameters()
    {
        Assert.AreEqual("RandAugment(numOps=2, magnitude=9, numMagnitudeBins=31, interpolation=Nearest, fill=0)", new RandAugment().ToString());
        Assert.AreEqual("TrivialAugmentWide(numMagnitudeBins=31, interpolation=Nearest, fill=0)", new TrivialAugmentWide().ToString());
        Assert.AreEqual("AutoAugment(policy=Svhn, interpolation=Bilinear, fill=128)", new AutoAugment(AutoAugmentPolicy.Svhn, Interpolation.Bilinear, 128).ToString());
    }
}
