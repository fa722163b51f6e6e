using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Batching;

/// <summary>
/// Batches of real images for the batch-augmentation tests: three classes of PNGs decoded, normalized and batched by the
/// real pipeline (8 rows of 24×20×3, in NCHW or NHWC), copied out, and handed back as fresh <see cref="Batch"/> objects.
/// </summary>
internal static class RealBatches
{
    private static readonly Lazy<SeenBatch> Nchw = new(() => Load(TensorLayout.Nchw));
    private static readonly Lazy<SeenBatch> Nhwc = new(() => Load(TensorLayout.Nhwc));

    public static readonly string[] ClassNames = ["class0", "class1", "class2"];

    /// <summary>The pipeline's first batch in <paramref name="layout"/>, as it was delivered.</summary>
    public static SeenBatch Original(TensorLayout layout) => layout == TensorLayout.Nchw ? Nchw.Value : Nhwc.Value;

    /// <summary>A new batch holding a copy of <see cref="Original"/>'s tensor and labels (the first <paramref name="rows"/> rows).</summary>
    public static Batch Fresh(TensorLayout layout, int rows = 8, int index = 0)
    {
        SeenBatch seen = Original(layout);
        int length = seen.Data.Length / seen.Labels.Length, classes = ClassNames.Length;
        int[] shape = [rows, seen.Shape[1], seen.Shape[2], seen.Shape[3]];
        return new Batch(seen.Data.AsSpan(0, rows * length).ToArray(), _ => { }, 0, index, shape, layout, seen.Labels[..rows],
            seen.OneHot.AsSpan(0, rows * classes).ToArray(), seen.Paths[..rows], seen.SampleIndices[..rows], ClassNames);
    }

    /// <summary>
    /// Asserts that each one-hot row of <paramref name="batch"/> is λ · its own row of <paramref name="original"/> + (1 − λ) · the
    /// previous row's (row 0: the last row's), and sums to 1.
    /// </summary>
    public static void AssertSoftLabels(SeenBatch original, Batch batch, double lambda, string message)
    {
        int rows = batch.Count, classes = ClassNames.Length;
        for (int r = 0; r < rows; r++)
        {
            int partner = (r + rows - 1) % rows;
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                double expected = lambda * (original.Labels[r] == c ? 1 : 0) + (1 - lambda) * (original.Labels[partner] == c ? 1 : 0);
                Assert.AreEqual(expected, batch.OneHot[r * classes + c], 1e-6, $"{message}, row {r}, class {c}");
                sum += batch.OneHot[r * classes + c];
            }

            Assert.AreEqual(1.0, sum, 1e-6, $"{message}, row {r}: soft labels sum to 1");
        }
    }

    /// <summary><paramref name="atPZero"/> leaves a batch alone, and <paramref name="transform"/> leaves a one-row batch alone.</summary>
    public static void AssertUnchangedAtPZeroAndOnOneRow(IBatchAugmentation atPZero, IBatchAugmentation transform)
    {
        SeenBatch original = Original(TensorLayout.Nchw);
        var context = new BatchAugmentationContext(7, 0, 0);
        using Batch batch = Fresh(TensorLayout.Nchw);
        atPZero.Apply(batch, context);
        CollectionAssert.AreEqual(original.Data, batch.Data.ToArray());
        CollectionAssert.AreEqual(original.OneHot, batch.OneHot);
        using Batch single = Fresh(TensorLayout.Nchw, rows: 1);
        transform.Apply(single, new BatchAugmentationContext(7, 0, 0));
        CollectionAssert.AreEqual(original.Data[..single.SampleLength], single.Data.ToArray());
        CollectionAssert.AreEqual(original.OneHot[..ClassNames.Length], single.OneHot);
    }

    /// <summary>The same (seed, epoch, batch index) gives the same batch; another seed or batch index another.</summary>
    public static void AssertDeterministic(IBatchAugmentation transform, TensorLayout layout)
    {
        float[] Run(long seed, int index)
        {
            using Batch batch = Fresh(layout);
            transform.Apply(batch, new BatchAugmentationContext(seed, 0, index));
            return [.. batch.Data.ToArray(), .. batch.OneHot];
        }

        float[] first = Run(7, 3);
        CollectionAssert.AreEqual(first, Run(7, 3), "same key");
        CollectionAssert.AreNotEqual(first, Run(8, 3), $"{transform}: seeds 7 and 8 gave the same batch");
        CollectionAssert.AreNotEqual(first, Run(7, 4), $"{transform}: batch indices 3 and 4 gave the same batch");
    }

    private static SeenBatch Load(TensorLayout layout)
    {
        using var data = new TempDataset().WithClasses(3, 3, width: 36, height: 30);
        var options = new PipelineOptions { Width = 24, Height = 20, BatchSize = 8, Seed = 5, Layout = layout };
        var (batches, _) = PipelineRunner.RunAsync(options, data.Root).GetAwaiter().GetResult();
        SeenBatch first = batches[0];
        Assert.HasCount(8, first.Labels);
        Assert.IsGreaterThan(1, first.Labels.Distinct().Count(), "the batch mixes classes");
        return first;
    }
}
