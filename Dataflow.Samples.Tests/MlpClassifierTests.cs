using Dataflow.Samples.Training;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class MlpClassifierTests
{
    private static readonly string[] Classes = ["left", "right", "top"];

    /// <summary>Three blobs in a 2x2 "image": each class lights up one pixel.</summary>
    private static (float[] Data, int[] Labels) Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        var data = new float[rows * 4];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = r % 3;
            for (int i = 0; i < 4; i++)
            {
                data[r * 4 + i] = (float)(random.NextDouble() * 0.3);
            }

            data[r * 4 + labels[r]] += 1f;
        }

        return (data, labels);
    }

    [TestMethod]
    [DataRow(ModelKind.Mlp)]
    [DataRow(ModelKind.Softmax)]
    public void TrainStep_SeparableData_LearnsIt(ModelKind kind)
    {
        var model = new MlpClassifier(kind, [1, 2, 2], Classes, hidden: 8, seed: 1);
        (float[] data, int[] labels) = Blobs(30, seed: 2);
        var sgd = new SgdSettings(LearningRate: 0.1f, Cosine: false, Dropout: 0f);
        Score before = model.Evaluate(data, labels);

        for (int step = 0; step < 200; step++)
        {
            model.TrainStep(data, labels, sgd);
        }

        Score after = model.Evaluate(data, labels);
        Assert.AreEqual(1.0, after.Accuracy);
        Assert.IsLessThan(before.MeanLoss, after.MeanLoss);
    }

    [TestMethod]
    public void SaveThenLoad_TrainedModel_SameWeightsAndPredictions()
    {
        var model = new MlpClassifier(ModelKind.Mlp, [1, 2, 2], Classes, hidden: 5, seed: 3);
        (float[] data, int[] labels) = Blobs(12, seed: 4);
        model.TrainStep(data, labels, new SgdSettings());
        using var stream = new MemoryStream();

        model.Save(stream);
        stream.Position = 0;
        MlpClassifier loaded = MlpClassifier.Load(stream);

        Assert.IsTrue(model.HasSameWeights(loaded));
        Assert.AreEqual(model.Evaluate(data, labels), loaded.Evaluate(data, labels));
        CollectionAssert.AreEqual(Classes, loaded.ClassNames);
    }

    [TestMethod]
    public void Load_TruncatedFile_ThrowsInvalidData()
    {
        var model = new MlpClassifier(ModelKind.Softmax, [1, 2, 2], Classes, hidden: 1, seed: 3);
        using var stream = new MemoryStream();
        model.Save(stream);

        using var cut = new MemoryStream(stream.ToArray()[..^3]);

        Assert.ThrowsExactly<InvalidDataException>(() => MlpClassifier.Load(cut));
    }

    [TestMethod]
    public void TrainStep_OneHotTargets_SameWeightsAsLabels()
    {
        (float[] data, int[] labels) = Blobs(9, seed: 5);
        float[] oneHot = new float[labels.Length * Classes.Length];
        for (int r = 0; r < labels.Length; r++)
        {
            oneHot[r * Classes.Length + labels[r]] = 1f;
        }

        var byLabel = new MlpClassifier(ModelKind.Mlp, [1, 2, 2], Classes, hidden: 6, seed: 9);
        var byTarget = new MlpClassifier(ModelKind.Mlp, [1, 2, 2], Classes, hidden: 6, seed: 9);
        for (int step = 0; step < 5; step++)
        {
            Score a = byLabel.TrainStep(data, labels, new SgdSettings());
            Score b = byTarget.TrainStep(data, labels, oneHot, new SgdSettings());
            Assert.AreEqual(a, b, $"step {step}");
        }

        Assert.IsTrue(byLabel.HasSameWeights(byTarget));
    }

    [TestMethod]
    public void TrainStep_SoftTargets_LossIsTheCrossEntropyAgainstThemAndTheModelMovesTowardsThem()
    {
        // Every row's target is half its own class, half the next: the model learns to predict both about equally.
        (float[] data, int[] labels) = Blobs(30, seed: 2);
        float[] soft = new float[labels.Length * Classes.Length];
        for (int r = 0; r < labels.Length; r++)
        {
            soft[r * Classes.Length + labels[r]] = 0.5f;
            soft[r * Classes.Length + (labels[r] + 1) % 3] = 0.5f;
        }

        var model = new MlpClassifier(ModelKind.Softmax, [1, 2, 2], Classes, hidden: 1, seed: 4);
        Score first = model.TrainStep(data, labels, soft, new SgdSettings(0.2f, WeightDecay: 0f));
        Assert.IsGreaterThan(Math.Log(2) * labels.Length, first.Loss, "cross-entropy against a two-class target is at least ln 2 per row");
        for (int step = 0; step < 300; step++)
        {
            model.TrainStep(data, labels, soft, new SgdSettings(0.2f, WeightDecay: 0f));
        }

        Score last = model.TrainStep(data, labels, soft, new SgdSettings(0.2f, WeightDecay: 0f));
        Assert.AreEqual(Math.Log(2), last.Loss / labels.Length, 0.1, "the loss approaches its minimum, the entropy of the targets");
        Assert.ThrowsExactly<ArgumentException>(() => model.TrainStep(data, labels, soft.AsSpan(1).ToArray(), new SgdSettings()));
    }

    [TestMethod]
    public void TrainStep_SameSeedAndBatches_SameWeights()
    {
        (float[] data, int[] labels) = Blobs(9, seed: 5);
        var a = new MlpClassifier(ModelKind.Mlp, [1, 2, 2], Classes, hidden: 6, seed: 9);
        var b = new MlpClassifier(ModelKind.Mlp, [1, 2, 2], Classes, hidden: 6, seed: 9);

        for (int step = 0; step < 5; step++)
        {
            a.TrainStep(data, labels, new SgdSettings());
            b.TrainStep(data, labels, new SgdSettings());
        }

        Assert.IsTrue(a.HasSameWeights(b));
    }

    [TestMethod]
    public void TrainStep_LabelOutOfRange_ThrowsNamingIt()
    {
        var model = new MlpClassifier(ModelKind.Softmax, [1, 2, 2], Classes, hidden: 1, seed: 1);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.TrainStep(new float[4], [3], new SgdSettings()));

        Assert.AreEqual("labels", e.ParamName);
    }
}
