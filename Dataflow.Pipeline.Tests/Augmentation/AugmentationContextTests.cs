using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class AugmentationContextTests
{
    [TestMethod]
    public void Random_SameKey_SameSequence()
    {
        var a = new AugmentationContext(5, 2, 17);
        var b = new AugmentationContext(5, 2, 17, ColorMode.Bgr);
        for (int i = 0; i < 8; i++)
        {
            Assert.AreEqual(a.Random.NextUInt64(), b.Random.NextUInt64());
        }
    }

    [TestMethod]
    public void Random_SeedEpochOrIndexChanged_DifferentSequence()
    {
        ulong first = new AugmentationContext(5, 2, 17).Random.NextUInt64();
        Assert.AreNotEqual(first, new AugmentationContext(6, 2, 17).Random.NextUInt64(), "seed");
        Assert.AreNotEqual(first, new AugmentationContext(5, 3, 17).Random.NextUInt64(), "epoch");
        Assert.AreNotEqual(first, new AugmentationContext(5, 2, 18).Random.NextUInt64(), "sample index");
    }

    [TestMethod]
    public void ForSourceCrop_SameKey_OwnStreamRepeatable()
    {
        AugmentationContext crop = AugmentationContext.ForSourceCrop(5, 2, 17, ColorMode.Bgr);
        Assert.AreEqual(ColorMode.Bgr, crop.ColorMode);
        Assert.AreEqual(AugmentationContext.ForSourceCrop(5, 2, 17).Random.NextUInt64(), crop.Random.NextUInt64());
        Assert.AreNotEqual(new AugmentationContext(5, 2, 17).Random.NextUInt64(), AugmentationContext.ForSourceCrop(5, 2, 17).Random.NextUInt64());
    }

    [TestMethod]
    public void ToString_NamesSampleEpochAndSeed() =>
        Assert.AreEqual("augmentation of sample #17, epoch 2, seed 5", new AugmentationContext(5, 2, 17).ToString());
}
