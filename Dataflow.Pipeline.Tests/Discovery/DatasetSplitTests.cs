using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Tests.Discovery;

[TestClass]
public sealed class DatasetSplitTests
{
    private static SampleSet Set(params int[] perClass)
    {
        var samples = new List<SampleInfo>();
        for (int c = 0; c < perClass.Length; c++)
        {
            for (int i = 0; i < perClass[c]; i++)
            {
                samples.Add(new SampleInfo(samples.Count, $"c{c}/{i}", c));
            }
        }

        return new SampleSet([.. Enumerable.Range(0, perClass.Length).Select(c => $"c{c}")], samples);
    }

    [TestMethod]
    public void Select_TrainingAndValidation_DisjointCompleteAndStratified()
    {
        SampleSet set = Set(100, 50, 7);
        int[] train = DatasetSplit.Select(set, 0.2, Subset.Training, 42);
        int[] val = DatasetSplit.Select(set, 0.2, Subset.Validation, 42);

        Assert.AreEqual(0, train.Intersect(val).Count());
        CollectionAssert.AreEquivalent(Enumerable.Range(0, set.Samples.Count).ToArray(), train.Concat(val).ToArray());
        CollectionAssert.AreEqual(new[] { 20, 10, 1 }, new[] { 0, 1, 2 }.Select(c => val.Count(i => set.Samples[i].Label == c)).ToArray());
    }

    [TestMethod]
    public void Select_SameSeed_SameSplitAndOtherSeed_Differs()
    {
        SampleSet set = Set(100, 100);
        CollectionAssert.AreEqual(DatasetSplit.Select(set, 0.3, Subset.Validation, 1), DatasetSplit.Select(set, 0.3, Subset.Validation, 1));
        CollectionAssert.AreNotEqual(DatasetSplit.Select(set, 0.3, Subset.Validation, 1), DatasetSplit.Select(set, 0.3, Subset.Validation, 2));
    }

    [TestMethod]
    public void Select_NoSplit_TrainingIsEverything()
    {
        SampleSet set = Set(3, 4);
        CollectionAssert.AreEqual(Enumerable.Range(0, 7).ToArray(), DatasetSplit.Select(set, 0, Subset.Training, 5));
        Assert.IsEmpty(DatasetSplit.Select(set, 0, Subset.Validation, 5));
    }
}
