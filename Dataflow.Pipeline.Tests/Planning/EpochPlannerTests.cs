using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Planning;

/// <summary>The epoch planner as a pure function, without a graph; and the graph following its plan.</summary>
[TestClass]
public sealed class EpochPlannerTests
{
    private static SampleSet Set(int count) =>
        new(["a", "b"], [.. Enumerable.Range(0, count).Select(i => new SampleInfo(i, $"s{i}", i % 2))]);

    private static int[] All(int count) => [.. Enumerable.Range(0, count)];

    [TestMethod]
    public void Plan_SameInputs_SameOrderAndRows()
    {
        var planner = new EpochPlanner(batchSize: 4, seed: 11);
        EpochPlan a = planner.Plan(Set(23), All(23), epoch: 2);
        EpochPlan b = new EpochPlanner(batchSize: 4, seed: 11).Plan(Set(23), All(23), epoch: 2);
        CollectionAssert.AreEqual(a.Order.ToArray(), b.Order.ToArray());
        CollectionAssert.AreEqual(a.Rows.ToArray(), b.Rows.ToArray());
    }

    [TestMethod]
    public void Plan_OtherEpochOrSeed_OtherOrder()
    {
        int[] baseline = new EpochPlanner(4, 11).Plan(Set(40), All(40), 0).Order.ToArray();
        CollectionAssert.AreNotEqual(baseline, new EpochPlanner(4, 11).Plan(Set(40), All(40), 1).Order.ToArray());
        CollectionAssert.AreNotEqual(baseline, new EpochPlanner(4, 12).Plan(Set(40), All(40), 0).Order.ToArray());
    }

    [TestMethod]
    public void Plan_SelectedSubset_EverySelectedSampleExactlyOnce()
    {
        int[] selected = [1, 4, 5, 9, 12, 13, 20];
        EpochPlan plan = new EpochPlanner(3, 5).Plan(Set(21), selected, 0);
        CollectionAssert.AreEquivalent(selected, plan.Order.ToArray());
        Assert.AreEqual(3, plan.BatchCount);
        Assert.AreEqual(1, plan.BatchLength(2));
        Assert.AreEqual(0, plan.Dropped);
    }

    [TestMethod]
    public void Plan_EachBatch_RowsArePermutationOfItsPositions()
    {
        EpochPlan plan = new EpochPlanner(5, 3).Plan(Set(23), All(23), 4);
        for (int b = 0; b < plan.BatchCount; b++)
        {
            int[] rows = plan.Rows.Slice(b * 5, plan.BatchLength(b)).ToArray();
            CollectionAssert.AreEquivalent(Enumerable.Range(0, plan.BatchLength(b)).ToArray(), rows, $"batch {b}");
        }
    }

    [TestMethod]
    public void Plan_DropLast_ShortBatchLeftOutAndCounted()
    {
        EpochPlan plan = new EpochPlanner(4, 1, dropLast: true).Plan(Set(10), All(10), 0);
        Assert.AreEqual(8, plan.Count);
        Assert.AreEqual(2, plan.BatchCount);
        Assert.AreEqual(2, plan.Dropped);
    }

    [TestMethod]
    public void Plan_NoShuffles_SelectionOrderAndIdentityRows()
    {
        EpochPlan plan = new EpochPlanner(4, 9, shuffle: false, shuffleWithinBatch: false).Plan(Set(10), All(10), 3);
        CollectionAssert.AreEqual(All(10), plan.Order.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1 }, plan.Rows.ToArray());
    }

    [TestMethod]
    public void Constructor_RowsNotAPermutation_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new EpochPlan(0, 2, [0, 1, 2], [0, 0, 0], 0));
        StringAssert.Contains(e.Message, "not a permutation");
        Assert.ThrowsExactly<ArgumentException>(() => new EpochPlan(0, 2, [0, 1, 2], [0, 1], 0));
    }

    [TestMethod]
    public async Task Run_ShuffledEpochs_BatchesFollowThePlan()
    {
        using var data = new TempDataset().WithClasses(3, 7, 8, 8);
        var options = new PipelineOptions { Width = 8, Height = 8, BatchSize = 4, Epochs = 2, Seed = 21 };
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);

        SampleSet set = new FolderSampleSource().Discover([data.Root]);
        var planner = EpochPlanner.For(options);
        foreach (SeenBatch batch in batches)
        {
            EpochPlan plan = planner.Plan(set, All(set.Samples.Count), batch.Epoch);
            int start = batch.Index * plan.BatchSize;
            int[] expected = new int[plan.BatchLength(batch.Index)];
            for (int p = 0; p < expected.Length; p++)
            {
                expected[plan.Rows[start + p]] = plan.Order[start + p];
            }

            CollectionAssert.AreEqual(expected, batch.SampleIndices, $"epoch {batch.Epoch} batch {batch.Index}");
        }

        Assert.HasCount(2 * 6, batches);
    }
}
