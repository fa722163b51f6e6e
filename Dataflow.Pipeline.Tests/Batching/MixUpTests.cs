using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Batching;

[TestClass]
public sealed class MixUpTests
{
    private static BatchAugmentationContext Context(int batchIndex = 0, long seed = 7) => new(seed, 0, batchIndex);

    [TestMethod]
    [DataRow(TensorLayout.Nchw)]
    [DataRow(TensorLayout.Nhwc)]
    public void Apply_EveryRowIsLambdaTimesItselfPlusOneMinusLambdaTimesThePreviousRow(TensorLayout layout)
    {
        SeenBatch original = RealBatches.Original(layout);
        var mixup = new MixUp(alpha: 1.0);
        for (int index = 0; index < 4; index++)
        {
            using Batch batch = RealBatches.Fresh(layout, index: index);
            mixup.Apply(batch, Context(index));
            double lambda = mixup.Draw(Context(index).Random)!.Value;
            Assert.IsInRange(0.0, 1.0, lambda);
            int rows = batch.Count, length = batch.SampleLength;
            for (int r = 0; r < rows; r++)
            {
                int partner = (r + rows - 1) % rows;
                for (int k = 0; k < length; k++)
                {
                    double expected = lambda * original.Data[r * length + k] + (1 - lambda) * original.Data[partner * length + k];
                    Assert.AreEqual(expected, batch.Data[r * length + k], 1e-5, $"batch {index}, row {r}, value {k}");
                }
            }

            RealBatches.AssertSoftLabels(original, batch, lambda, $"batch {index}");
            CollectionAssert.AreEqual(original.Labels, batch.Labels, "each row keeps its own class index");
        }
    }

    [TestMethod]
    public void Apply_SameKeySameBatchOtherKeysDiffer() => RealBatches.AssertDeterministic(new MixUp(0.4), TensorLayout.Nchw);

    [TestMethod]
    public void Apply_PZeroOrOneRow_Unchanged() => RealBatches.AssertUnchangedAtPZeroAndOnOneRow(new MixUp(p: 0), new MixUp());

    [TestMethod]
    [DataRow(0.2)]
    [DataRow(1.0)]
    [DataRow(4.0)]
    public void Draw_LambdaFollowsBetaAlphaAlpha(double alpha)
    {
        // Beta(α, α): mean 1/2, variance 1 / (4 (2α + 1)).
        var mixup = new MixUp(alpha);
        var draws = Enumerable.Range(0, 20_000).Select(i => mixup.Draw(Context(i).Random)!.Value).ToArray();
        double mean = draws.Average(), variance = draws.Select(x => (x - mean) * (x - mean)).Average();
        Assert.IsTrue(draws.All(x => x is >= 0 and <= 1), "λ in [0, 1]");
        Assert.AreEqual(0.5, mean, 0.01, "mean");
        Assert.AreEqual(1 / (4 * (2 * alpha + 1)), variance, 0.004, "variance");
    }

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameterAndRange()
    {
        Rejects<ArgumentOutOfRangeException>(() => new MixUp(alpha: 0), "alpha", "Parameter \"alpha\" must be above 0 and at most 100, was 0.");
        Rejects<ArgumentOutOfRangeException>(() => new MixUp(alpha: double.NaN), "alpha", "Parameter \"alpha\" must be above 0 and at most 100, was NaN.");
        Rejects<ArgumentOutOfRangeException>(() => new MixUp(alpha: 101), "alpha", "Parameter \"alpha\" must be above 0 and at most 100, was 101.");
        Rejects<ArgumentOutOfRangeException>(() => new MixUp(p: 1.5), "p", "Parameter \"p\" must be at least 0 and at most 1, was 1.5.");
    }

    [TestMethod]
    public void ToString_ListsParameters() => Assert.AreEqual("MixUp(alpha=0.2, p=0.5)", new MixUp(0.2, 0.5).ToString());
}
