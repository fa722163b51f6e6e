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
    public void Select_SameIdSeveralTimes_AlwaysInOneSubset()
    {
        // A source that lists files twice: within a class (x1, x2) and across classes (y in c0 and c1).
        string[] ids = ["c0/x1", "c0/x1", "c0/x2", "c0/x2", "c0/y", "c0/a", "c0/b", "c1/p", "c0/y", "c1/q", "c1/x1"];
        int[] labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        SampleSet set = new(["c0", "c1"], [.. ids.Select((id, i) => new SampleInfo(i, id, labels[i]))]);

        for (long seed = 0; seed < 50; seed++)
        {
            int[] train = DatasetSplit.Select(set, 0.5, Subset.Training, seed);
            int[] val = DatasetSplit.Select(set, 0.5, Subset.Validation, seed);

            CollectionAssert.AreEquivalent(Enumerable.Range(0, ids.Length).ToArray(), train.Concat(val).ToArray());
            string[] trainIds = [.. train.Select(i => ids[i]).Distinct()];
            string[] valIds = [.. val.Select(i => ids[i]).Distinct()];
            Assert.IsEmpty(trainIds.Intersect(valIds), $"seed {seed}: a file in both subsets");
            // c0 splits its 5 distinct files (3 to validation: 2.5 rounded away from zero); c1 its 3 others (2), y went with c0.
            Assert.AreEqual(3, valIds.Count(id => id.StartsWith("c0/", StringComparison.Ordinal)), $"seed {seed}");
            Assert.AreEqual(2, valIds.Count(id => id.StartsWith("c1/", StringComparison.Ordinal)), $"seed {seed}");
        }
    }

    [TestMethod]
    public void Select_NoSplit_TrainingIsEverything()
    {
        SampleSet set = Set(3, 4);
        CollectionAssert.AreEqual(Enumerable.Range(0, 7).ToArray(), DatasetSplit.Select(set, 0, Subset.Training, 5));
        Assert.IsEmpty(DatasetSplit.Select(set, 0, Subset.Validation, 5));
    }
}
