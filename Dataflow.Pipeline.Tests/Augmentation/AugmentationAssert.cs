using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>Helpers shared by the augmentation tests: a patterned source, a seeded run on a copy, exact pixel comparison.</summary>
internal static class AugmentationAssert
{
    /// <summary>A BGR test image with gradients and seeded noise.</summary>
    public static Mat Source(int width = 32, int height = 24, int seed = 1) => TempDataset.Pattern(width, height, seed);

    /// <summary>A context for sample 0 of epoch 0 with <paramref name="seed"/>.</summary>
    public static AugmentationContext Context(long seed, int sampleIndex = 0) => new(seed, 0, sampleIndex, Dataflow.Pipeline.Decoding.ColorMode.Bgr);

    /// <summary>Applies <paramref name="augmentation"/> to a copy of <paramref name="source"/>; the caller disposes the result.</summary>
    public static Mat Run(IAugmentation augmentation, Mat source, long seed = 7, int sampleIndex = 0)
    {
        Mat input = source.Clone();
        Mat result = augmentation.Apply(input, Context(seed, sampleIndex));
        if (!ReferenceEquals(result, input))
        {
            input.Dispose();
        }

        return result;
    }

    /// <summary>True when both images have the same size, type and every pixel.</summary>
    public static bool Same(Mat a, Mat b) =>
        a.Size() == b.Size() && a.Type() == b.Type() && ReferenceImages.Bytes(a).AsSpan().SequenceEqual(ReferenceImages.Bytes(b));

    /// <summary>Asserts that both images have the same size, type and every pixel.</summary>
    public static void AreSame(Mat expected, Mat actual, string message = "")
    {
        Assert.AreEqual(expected.Size(), actual.Size(), "size " + message);
        Assert.AreEqual(expected.Type(), actual.Type(), "type " + message);
        using var diff = new Mat();
        Cv2.Absdiff(expected, actual, diff);
        Assert.AreEqual(0.0, Cv2.Norm(diff, NormTypes.INF), "largest pixel difference " + message);
    }

    /// <summary>p = 0 returns the pixels unchanged, for many seeds.</summary>
    public static void IdentityAtZero(IAugmentation augmentation)
    {
        using Mat source = Source();
        for (int seed = 0; seed < 20; seed++)
        {
            using Mat result = Run(augmentation, source, seed);
            AreSame(source, result, $"seed {seed}");
        }
    }

    /// <summary>One seed gives one result; some two of 20 seeds give different results.</summary>
    public static void Deterministic(IAugmentation augmentation)
    {
        using Mat source = Source(48, 40);
        using Mat first = Run(augmentation, source, seed: 11);
        using Mat again = Run(augmentation, source, seed: 11);
        AreSame(first, again, "same seed");
        bool differs = false;
        for (int seed = 12; seed < 32 && !differs; seed++)
        {
            using Mat other = Run(augmentation, source, seed);
            differs = !Same(first, other);
        }

        Assert.IsTrue(differs, $"{augmentation} gave the same result for 21 seeds");
    }

    /// <summary>The constructor throws <typeparamref name="T"/> naming <paramref name="param"/>, with the message starting as given.</summary>
    public static void Rejects<T>(Func<object> create, string param, string messageStart)
        where T : ArgumentException
    {
        T e = Assert.ThrowsExactly<T>(() => create());
        Assert.AreEqual(param, e.ParamName);
        Assert.IsTrue(e.Message.StartsWith(messageStart, StringComparison.Ordinal), e.Message);
    }
}
