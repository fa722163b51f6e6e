using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Batching;

[TestClass]
public sealed class BatchOneOfTests
{
    /// <summary>True when every value of the batch is its own or its partner's original value (a paste, not a blend).</summary>
    private static bool IsPaste(Batch batch, SeenBatch original)
    {
        int rows = batch.Count, length = batch.SampleLength;
        for (int r = 0; r < rows; r++)
        {
            int partner = (r + rows - 1) % rows;
            for (int k = 0; k < length; k++)
            {
                float v = batch.Data[r * length + k];
                if (v != original.Data[r * length + k] && v != original.Data[partner * length + k])
                {
                    return false;
                }
            }
        }

        return true;
    }

    [TestMethod]
    public void Apply_MixUpOrCutMix_EachChosenForSomeBatches()
    {
        SeenBatch original = RealBatches.Original(TensorLayout.Nchw);
        var choice = new BatchOneOf(new MixUp(), new CutMix());
        int pastes = 0, blends = 0;
        for (int index = 0; index < 30; index++)
        {
            using Batch batch = RealBatches.Fresh(TensorLayout.Nchw, index: index);
            choice.Apply(batch, new BatchAugmentationContext(1, 0, index));
            if (IsPaste(batch, original))
            {
                pastes++;
            }
            else
            {
                blends++;
            }
        }

        Assert.IsGreaterThan(5, pastes, "batches cut and pasted");
        Assert.IsGreaterThan(5, blends, "batches blended");
    }

    [TestMethod]
    public void Apply_ZeroWeight_NeverChosen()
    {
        SeenBatch original = RealBatches.Original(TensorLayout.Nchw);
        var choice = new BatchOneOf([new MixUp(), new CutMix()], [0, 1]);
        for (int index = 0; index < 10; index++)
        {
            using Batch batch = RealBatches.Fresh(TensorLayout.Nchw, index: index);
            choice.Apply(batch, new BatchAugmentationContext(1, 0, index));
            Assert.IsTrue(IsPaste(batch, original), $"batch {index} was blended");
        }
    }

    [TestMethod]
    public void Constructor_InvalidArguments_ThrowNamingParameter()
    {
        Rejects<ArgumentException>(() => new BatchOneOf(), "transforms", "Parameter \"transforms\" must hold at least one transform, was empty.");
        Rejects<ArgumentException>(() => new BatchOneOf(new MixUp(), null!), "transforms", "Parameter \"transforms\" must not hold null, was null at index 1.");
        Rejects<ArgumentException>(() => new BatchOneOf([new MixUp(), new CutMix()], [1]), "weights",
            "Parameter \"weights\" must hold 2 finite, non-negative weights that are not all 0, was [1].");
        Rejects<ArgumentException>(() => new BatchOneOf([new MixUp(), new CutMix()], [0, 0]), "weights",
            "Parameter \"weights\" must hold 2 finite, non-negative weights that are not all 0, was [0, 0].");
    }

    [TestMethod]
    public void ToString_ListsTransformsAndWeights() =>
        Assert.AreEqual("BatchOneOf([MixUp(alpha=0.2, p=1), CutMix(alpha=1, p=1)], weights=[1, 1])", new BatchOneOf(new MixUp(0.2), new CutMix()).ToString());
}
