using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Batching;

[TestClass]
public sealed class CutMixTests
{
    private static BatchAugmentationContext Context(int batchIndex = 0, long seed = 7) => new(seed, 0, batchIndex);

    /// <summary>(x, y) of element k of a row of a batch of [N, a, b, c] in <paramref name="layout"/>.</summary>
    private static (int X, int Y) Position(int k, int[] shape, TensorLayout layout) => layout == TensorLayout.Nchw
        ? (k % shape[3], k / shape[3] % shape[2])
        : (k / shape[3] % shape[2], k / (shape[2] * shape[3]));

    [TestMethod]
    [DataRow(TensorLayout.Nchw)]
    [DataRow(TensorLayout.Nhwc)]
    public void Apply_TheBoxOfEveryRowIsItsPartnersAndLambdaIsTheAreaLeft(TensorLayout layout)
    {
        SeenBatch original = RealBatches.Original(layout);
        var cutmix = new CutMix();
        int clipped = 0, pasted = 0;
        for (int index = 0; index < 30; index++)
        {
            using Batch batch = RealBatches.Fresh(layout, index: index);
            cutmix.Apply(batch, Context(index));
            var ((x1, y1, x2, y2), lambda) = cutmix.Draw(Context(index).Random, 24, 20)!.Value;
            Assert.IsTrue(0 <= x1 && x1 <= x2 && x2 <= 24 && 0 <= y1 && y1 <= y2 && y2 <= 20, $"box ({x1}, {y1}, {x2}, {y2}) inside the image");
            Assert.AreEqual(1 - (x2 - x1) * (y2 - y1) / 480.0, lambda, 1e-12, "λ is the fraction of the image left");
            clipped += x1 == 0 || y1 == 0 || x2 == 24 || y2 == 20 ? 1 : 0;
            pasted += x2 > x1 && y2 > y1 ? 1 : 0;
            int rows = batch.Count, length = batch.SampleLength;
            for (int r = 0; r < rows; r++)
            {
                int partner = (r + rows - 1) % rows;
                int inBox = 0;
                for (int k = 0; k < length; k++)
                {
                    (int x, int y) = Position(k, batch.Shape, layout);
                    bool inside = x >= x1 && x < x2 && y >= y1 && y < y2;
                    inBox += inside ? 1 : 0;
                    float expected = original.Data[(inside ? partner : r) * length + k];
                    Assert.AreEqual(expected, batch.Data[r * length + k], $"batch {index}, row {r}, ({x}, {y})");
                }

                Assert.AreEqual((1 - lambda) * length, inBox, 1e-9, "the pasted values are the box's share of the row");
            }

            RealBatches.AssertSoftLabels(original, batch, lambda, $"batch {index}");
        }

        Assert.IsGreaterThan(20, pasted, "batches with a box");
        Assert.IsGreaterThan(3, clipped, "boxes clipped at an edge");
    }

    [TestMethod]
    public void Apply_SameKeySameBatchOtherKeysDiffer() => RealBatches.AssertDeterministic(new CutMix(), TensorLayout.Nhwc);

    [TestMethod]
    public void Apply_PZeroOrOneRow_Unchanged() => RealBatches.AssertUnchangedAtPZeroAndOnOneRow(new CutMix(p: 0), new CutMix());

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameterAndRange()
    {
        Rejects<ArgumentOutOfRangeException>(() => new CutMix(alpha: -1), "alpha", "Parameter \"alpha\" must be above 0 and at most 100, was -1.");
        Rejects<ArgumentOutOfRangeException>(() => new CutMix(p: -0.1), "p", "Parameter \"p\" must be at least 0 and at most 1, was -0.1.");
    }

    [TestMethod]
    public void ToString_ListsParameters() => Assert.AreEqual("CutMix(alpha=1, p=1)", new CutMix().ToString());
}
