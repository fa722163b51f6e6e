using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>The automatic policies through the real graph: real files decoded, augmented, normalized and batched.</summary>
[TestClass]
public sealed class AutomaticPolicyPipelineTests
{
    private static PipelineOptions Options(IAugmentation policy, int parallelism, long seed = 3, ColorMode colorMode = ColorMode.Rgb) => new()
    {
        Width = 24,
        Height = 20,
        BatchSize = 4,
        Epochs = 2,
        Seed = seed,
        ColorMode = colorMode,
        Augmentations = [policy],
        Decode = new StageOptions(parallelism, 2 * parallelism),
        Augment = new StageOptions(parallelism, 2 * parallelism),
        Normalize = new StageOptions(parallelism, 2 * parallelism),
    };

    public static IEnumerable<object[]> Policies =>
    [
        [new RandAugment(), ColorMode.Rgb],
        [new TrivialAugmentWide(), ColorMode.Bgr],
        [new AutoAugment(), ColorMode.Rgb],
        [new AutoAugment(AutoAugmentPolicy.Svhn), ColorMode.Grayscale],
        [new RandAugment(numOps: 3, magnitude: 20, interpolation: Interpolation.Bilinear), ColorMode.Grayscale],
    ];

    [TestMethod]
    [DynamicData(nameof(Policies))]
    public async Task Run_AtParallelismOneAndFour_BitIdenticalBatchesAndOtherSeedsDiffer(IAugmentation policy, ColorMode colorMode)
    {
        using var data = new TempDataset().WithClasses(2, 6, width: 40, height: 30);
        var (serial, pipeline) = await PipelineRunner.RunAsync(Options(policy, 1, colorMode: colorMode), data.Root);
        var (parallel, _) = await PipelineRunner.RunAsync(Options(policy, 4, colorMode: colorMode), data.Root);
        var (otherSeed, _) = await PipelineRunner.RunAsync(Options(policy, 4, seed: 4, colorMode: colorMode), data.Root);
        var (plain, _) = await PipelineRunner.RunAsync(Options(policy, 2, colorMode: colorMode) with { Augmentations = [] }, data.Root);
        Assert.AreEqual(24, serial.Sum(b => b.Labels.Length), pipeline.Report.ToString());
        Assert.HasCount(serial.Count, parallel);
        for (int i = 0; i < serial.Count; i++)
        {
            CollectionAssert.AreEqual(serial[i].SampleIndices, parallel[i].SampleIndices, $"batch {i} samples");
            Assert.IsTrue(serial[i].Data.AsSpan().SequenceEqual(parallel[i].Data), $"batch {i}: pixels differ between parallelism 1 and 4");
        }

        Assert.IsFalse(serial.SelectMany(b => b.Data).SequenceEqual(otherSeed.SelectMany(b => b.Data)), "seeds 3 and 4 gave the same pixels");
        Assert.IsFalse(serial.SelectMany(b => b.Data).SequenceEqual(plain.SelectMany(b => b.Data)), $"{policy} changed no pixel");
    }
}
