using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

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

    [TestMethod]
    [DataRow(8, 31, 187)]
    [DataRow(10, 31, 170)]
    [DataRow(20, 31, 85)]
    [DataRow(22, 31, 68)]
    [DataRow(9, 31, 178.5)]
    [DataRow(3, 10, 170)]
    [DataRow(6, 10, 85)]
    public async Task Run_RandAugmentSolarize_InvertsEveryValueAtOrAboveTheExactThreshold(int bin, int bins, double threshold)
    {
        // A ramp holding every value once (pixel v is v), through the graph in grey; the rows whose one operation is
        // Solarize hold 255 − v from the threshold 255·(bins − 1 − bin)/(bins − 1) up, v below it.
        using var ramp = new Mat(16, 16, MatType.CV_8UC1);
        for (int v = 0; v < 256; v++)
        {
            ramp.Set(v / 16, v % 16, (byte)v);
        }

        List<SeenBatch> batches = await RunOnCopies(ramp, new RandAugment(numOps: 1, magnitude: bin, numMagnitudeBins: bins));
        int solarized = AssertRowsOf(batches, PolicyOperation.Solarize, 256, v => v >= threshold ? 255 - v : v);
        Assert.IsGreaterThanOrEqualTo(1, solarized, "rows whose operation is Solarize");
    }

    [TestMethod]
    [DataRow(32, new[] { 10, 50, 100, 200 }, new[] { 256, 256, 256, 256 }, new[] { 0, 85, 171, 255 })] // step ⌊768/255⌋ = 3: ⌊(0+1)/3⌋, ⌊257/3⌋, ⌊513/3⌋, ⌊769/3⌋ → 255
    [DataRow(32, new[] { 20, 60, 255 }, new[] { 300, 300, 424 }, new[] { 0, 150, 255 })]               // clipped white, step ⌊600/255⌋ = 2: ⌊1/2⌋, ⌊301/2⌋, ⌊601/2⌋ → 255
    [DataRow(16, new[] { 10, 50, 100, 200 }, new[] { 64, 64, 64, 64 }, new[] { 10, 50, 100, 200 })]     // step ⌊192/255⌋ = 0: left as it is
    public async Task Run_RandAugmentEqualize_TorchvisionsTableOfTheHistogram(int side, int[] values, int[] counts, int[] equalized)
    {
        // Pixel i holds values[j] for the j-th run of counts[j] pixels; torchvision maps v to ⌊(pixels below v + ⌊step/2⌋) / step⌋
        // (at most 255) with step = ⌊(pixels below the highest value) / 255⌋, and leaves the image when step is 0.
        int[] source = [.. values.SelectMany((v, j) => Enumerable.Repeat(v, counts[j]))];
        Assert.HasCount(side * side, source);
        using var image = new Mat(side, side, MatType.CV_8UC1);
        for (int i = 0; i < source.Length; i++)
        {
            image.Set(i / side, i % side, (byte)source[i]);
        }

        List<SeenBatch> batches = await RunOnCopies(image, new RandAugment(numOps: 1));
        int rows = AssertRowsOf(batches, PolicyOperation.Equalize, side * side, v => equalized[Array.IndexOf(values, v)], i => source[i]);
        Assert.IsGreaterThanOrEqualTo(1, rows, "rows whose operation is Equalize");
    }

    private const long PolicySeed = 5;

    /// <summary>Runs 40 copies of <paramref name="image"/> (grey, at its own size) through <paramref name="policy"/> and returns the batches.</summary>
    private static async Task<List<SeenBatch>> RunOnCopies(Mat image, IAugmentation policy)
    {
        using var data = new TempDataset();
        for (int i = 0; i < 40; i++)
        {
            data.Write("a", $"copy{i:00}.png", image);
        }

        var options = new PipelineOptions
        {
            Width = image.Width, Height = image.Height, BatchSize = 8, Epochs = 1, Seed = PolicySeed, ColorMode = ColorMode.Grayscale,
            Augmentations = [policy],
        };
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);
        Assert.AreEqual(40, batches.Sum(b => b.Labels.Length));
        return batches;
    }

    /// <summary>
    /// For every row whose RandAugment operation (its first draw) is <paramref name="op"/>: value i of the row is
    /// <paramref name="expected"/>(value i of the source, i itself for a ramp, or what <paramref name="source"/> gives). Returns the rows checked.
    /// </summary>
    private static int AssertRowsOf(List<SeenBatch> batches, PolicyOperation op, int length, Func<int, int> expected, Func<int, int>? source = null)
    {
        int rows = 0;
        foreach (SeenBatch batch in batches)
        {
            for (int row = 0; row < batch.Labels.Length; row++)
            {
                var context = new AugmentationContext(PolicySeed, batch.Epoch, batch.SampleIndices[row], ColorMode.Grayscale);
                if (PolicyOps.RandomSpace[context.Random.NextInt(PolicyOps.RandomSpace.Length)] != op)
                {
                    continue;
                }

                rows++;
                for (int i = 0; i < length; i++)
                {
                    int before = source?.Invoke(i) ?? i;
                    Assert.AreEqual(expected(before), (int)Math.Round(batch.Data[row * length + i] * 255), $"{batch.Paths[row]}: value {i} (was {before})");
                }
            }
        }

        return rows;
    }
}
