using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline.Tests.Distributed;

[TestClass]
public sealed class PartitionPlannerTests
{
    private static readonly int[] WorldSizes = [1, 2, 3, 4, 7];

    /// <summary>A dataset of <paramref name="count"/> samples in 3 classes (the planner never reads them).</summary>
    internal static SampleSet Set(int count) =>
        new(["a", "b", "c"], [.. Enumerable.Range(0, count).Select(i => new SampleInfo(i, $"/data/{"abc"[i % 3]}/{i:D4}.png", i % 3))]);

    internal static PipelineOptions Options(int batchSize, int rank = 0, int worldSize = 1, RemainderPolicy remainder = RemainderPolicy.Pad,
        bool dropLast = false, bool shuffle = true, int epochs = 3) => new()
        {
            BatchSize = batchSize,
            Rank = rank,
            WorldSize = worldSize,
            Remainder = remainder,
            DropLast = dropLast,
            Shuffle = shuffle,
            Epochs = epochs,
            Seed = 17,
        };

    /// <summary>Each batch of a plan as (sample index, weight) per row, in row order.</summary>
    internal static List<(int Batch, (int Sample, bool Repeat)[] Rows)> Batches(EpochPlan plan)
    {
        var batches = new List<(int, (int, bool)[])>();
        for (int b = 0; b < plan.BatchCount; b++)
        {
            int start = b * plan.BatchSize, count = plan.BatchLength(b);
            var rows = new (int, bool)[count];
            for (int j = 0; j < count; j++)
            {
                rows[plan.Rows[start + j]] = (plan.Order[start + j], plan.IsRepeat(start + j));
            }

            batches.Add((plan.FirstBatch + b, rows));
        }

        return batches;
    }

    [TestMethod]
    public void Plan_WorldSizeOne_EqualsEpochPlanner()
    {
        foreach (int count in new[] { 1, 5, 21, 32 })
        {
            foreach (int batchSize in new[] { 1, 4, 7 })
            {
                foreach (bool dropLast in new[] { false, true })
                {
                    if (dropLast && count < batchSize)
                    {
                        continue;
                    }

                    SampleSet set = Set(count);
                    int[] selected = [.. Enumerable.Range(0, count)];
                    PipelineOptions options = Options(batchSize, dropLast: dropLast);
                    var single = EpochPlanner.For(options);
                    var partition = new PartitionPlanner(options);
                    for (int epoch = 0; epoch < 2; epoch++)
                    {
                        EpochPlan expected = single.Plan(set, selected, epoch);
                        EpochPlan actual = partition.Plan(set, selected, epoch);
                        string at = $"{count} samples, batch {batchSize}, drop last {dropLast}, epoch {epoch}";
                        CollectionAssert.AreEqual(expected.Order.ToArray(), actual.Order.ToArray(), at);
                        CollectionAssert.AreEqual(expected.Rows.ToArray(), actual.Rows.ToArray(), at);
                        Assert.AreEqual(expected.Dropped, actual.Dropped, at);
                        Assert.AreEqual(0, actual.RepeatCount, at);
                    }
                }
            }
        }
    }

    [TestMethod]
    public void Plan_EveryWorldSizeAndPolicy_GivesEverySampleToExactlyOneRank()
    {
        foreach (int count in new[] { 5, 21, 24, 28, 30 })
        {
            foreach (int batchSize in new[] { 2, 3 })
            {
                foreach (int worldSize in WorldSizes)
                {
                    foreach (RemainderPolicy policy in Enum.GetValues<RemainderPolicy>())
                    {
                        AssertPartition(Set(count), batchSize, worldSize, policy, epoch: 1, start: 0, firstStep: 0);
                    }
                }
            }
        }
    }

    [TestMethod]
    public void Plan_DropLast_LeavesOutTheShortLastStepOnEveryRank()
    {
        SampleSet set = Set(21);
        int[] selected = [.. Enumerable.Range(0, 21)];
        foreach (int rank in Enumerable.Range(0, 4))
        {
            EpochPlan plan = new PartitionPlanner(Options(2, rank, 4, dropLast: true)).Plan(set, selected, 0);
            Assert.AreEqual(2, plan.BatchCount);
            Assert.AreEqual(4, plan.Count);
            Assert.AreEqual(5, plan.Dropped);
        }
    }

    [TestMethod]
    public void Plan_Pad_RepeatsAtMostOneRowPerRankAndMarksIt()
    {
        // 21 samples, 4 ranks of batch 2: two full steps (16) and 5 left: 2, 1, 1, 1 real rows, the last three ranks pad one.
        SampleSet set = Set(21);
        int[] selected = [.. Enumerable.Range(0, 21)];
        int[] order = EpochPlanner.For(Options(2)).Order(selected, 0);
        int[] real = new int[4], repeats = new int[4];
        for (int rank = 0; rank < 4; rank++)
        {
            EpochPlan plan = new PartitionPlanner(Options(2, rank, 4)).Plan(set, selected, 0);
            Assert.AreEqual(3, plan.BatchCount, $"rank {rank}");
            (int _, (int Sample, bool Repeat)[] rows) = Batches(plan)[^1];
            real[rank] = rows.Count(r => !r.Repeat);
            repeats[rank] = rows.Count(r => r.Repeat);
            foreach ((int sample, bool repeat) in rows.Where(r => r.Repeat))
            {
                Assert.AreEqual(order[rank - 1], sample, "padding repeats the start of the epoch's order, as PyTorch");
            }
        }

        CollectionAssert.AreEqual(new[] { 2, 1, 1, 1 }, real);
        CollectionAssert.AreEqual(new[] { 0, 1, 1, 1 }, repeats);
    }

    [TestMethod]
    public void Plan_Uneven_GivesSomeRanksAShorterOrNoLastBatch()
    {
        // 17 samples, 4 ranks of batch 2: two full steps and 1 left, which only rank 0 gets.
        SampleSet set = Set(17);
        int[] selected = [.. Enumerable.Range(0, 17)];
        int[] steps = [.. Enumerable.Range(0, 4).Select(rank => new PartitionPlanner(Options(2, rank, 4, RemainderPolicy.Uneven)).Plan(set, selected, 0).BatchCount)];
        CollectionAssert.AreEqual(new[] { 3, 2, 2, 2 }, steps);
    }

    [TestMethod]
    public void Resume_SameWorldSize_PlansExactlyTheRestOfTheUninterruptedEpoch()
    {
        SampleSet set = Set(21);
        int[] selected = [.. Enumerable.Range(0, 21)];
        foreach (int worldSize in WorldSizes)
        {
            for (int rank = 0; rank < worldSize; rank++)
            {
                var planner = new PartitionPlanner(Options(2, rank, worldSize));
                EpochPlan whole = planner.Plan(set, selected, 1);
                var expected = Batches(whole);
                for (int k = 0; k < whole.BatchCount; k++)
                {
                    PipelineState state = planner.StateAfter(whole, k)!;
                    if (k == whole.BatchCount - 1)
                    {
                        Assert.AreEqual((2, 0L, 0), (state.Epoch, state.Position, state.Step), "after the last batch: the next epoch's start");
                        continue;
                    }

                    var resumed = new PartitionPlanner(Options(2, rank, worldSize), state);
                    Assert.AreEqual(1, resumed.FirstEpoch);
                    var rest = Batches(resumed.Plan(set, selected, 1));
                    Assert.HasCount(expected.Count - k - 1, rest, $"world {worldSize}, rank {rank}, after batch {k}");
                    for (int i = 0; i < rest.Count; i++)
                    {
                        Assert.AreEqual(expected[k + 1 + i].Batch, rest[i].Batch);
                        CollectionAssert.AreEqual(expected[k + 1 + i].Rows, rest[i].Rows, $"world {worldSize}, rank {rank}, after batch {k}");
                    }

                    // The epochs after it are those of the uninterrupted run.
                    CollectionAssert.AreEqual(planner.Plan(set, selected, 2).Order.ToArray(), resumed.Plan(set, selected, 2).Order.ToArray());
                }
            }
        }
    }

    [TestMethod]
    public void Resume_ElasticFourToThreeAndTwoToFive_CoversTheRestOfTheEpochExactlyOnce()
    {
        foreach ((int from, int to) in new[] { (4, 3), (2, 5), (3, 7), (7, 1) })
        {
            foreach (int count in new[] { 21, 40 })
            {
                SampleSet set = Set(count);
                int[] selected = [.. Enumerable.Range(0, count)];
                var saved = new PartitionPlanner(Options(2, 0, from));
                EpochPlan plan = saved.Plan(set, selected, 1);
                for (int k = 0; k < plan.BatchCount - 1; k++)
                {
                    PipelineState state = saved.StateAfter(plan, k)!;
                    Assert.AreEqual(from, state.WorldSize);
                    AssertPartition(set, 2, to, RemainderPolicy.Pad, 1, state.Position, state.Step, state);

                    // The next epoch is that of a run of the new size.
                    var resumed = new PartitionPlanner(Options(2, to - 1, to), state);
                    var fresh = new PartitionPlanner(Options(2, to - 1, to));
                    CollectionAssert.AreEqual(fresh.Plan(set, selected, 2).Order.ToArray(), resumed.Plan(set, selected, 2).Order.ToArray());
                }
            }
        }
    }

    [TestMethod]
    public void Resume_StateFromOtherOptions_IsRefusedNamingEachDifference()
    {
        SampleSet set = Set(21);
        var planner = new PartitionPlanner(Options(2));
        EpochPlan plan = planner.Plan(set, [.. Enumerable.Range(0, 21)], 0);
        PipelineState state = planner.StateAfter(plan, 0)!;

        var e = Assert.ThrowsExactly<ArgumentException>(() => new PartitionPlanner(Options(4, shuffle: false) with { Seed = 18 }, state));
        StringAssert.Contains(e.Message, "Seed was 17 in the state, is 18 in this run");
        StringAssert.Contains(e.Message, "BatchSize was 2 in the state, is 4 in this run");
        StringAssert.Contains(e.Message, "Shuffle was True in the state, is False in this run");
    }

    [TestMethod]
    public void Resume_StateFromOtherDataset_IsRefusedAtPlanning()
    {
        var planner = new PartitionPlanner(Options(2));
        PipelineState state = planner.StateAfter(planner.Plan(Set(21), [.. Enumerable.Range(0, 21)], 0), 0)!;
        var resumed = new PartitionPlanner(Options(2), state);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => resumed.Plan(Set(22), [.. Enumerable.Range(0, 22)], 0));
        StringAssert.Contains(e.Message, "another dataset: 21 selected samples");
        StringAssert.Contains(e.Message, "this run has 22");
    }

    [TestMethod]
    public void Resume_StatePastTheRunsEpochs_IsRefusedNamingEpochs()
    {
        var planner = new PartitionPlanner(Options(2, epochs: 1));
        EpochPlan plan = planner.Plan(Set(4), [0, 1, 2, 3], 0);
        PipelineState state = planner.StateAfter(plan, plan.BatchCount - 1)!;

        var e = Assert.ThrowsExactly<ArgumentException>(() => new PartitionPlanner(Options(2, epochs: 1), state));
        StringAssert.Contains(e.Message, "Epochs 1");
    }

    /// <summary>
    /// Plans the rest of <paramref name="epoch"/> from <paramref name="start"/> on every rank and checks the partition:
    /// every remaining sample exactly once (or dropped and counted), repeats only under Pad and marked, equal steps
    /// except under Uneven, and one shared batch numbering.
    /// </summary>
    private static void AssertPartition(SampleSet set, int batchSize, int worldSize, RemainderPolicy policy, int epoch, long start, int firstStep, PipelineState? state = null)
    {
        int count = set.Samples.Count;
        int[] selected = [.. Enumerable.Range(0, count)];
        int[] order = EpochPlanner.For(Options(batchSize)).Order(selected, epoch);
        var remaining = order.Skip((int)start).ToHashSet();
        var seen = new List<int>();
        var steps = new List<int>();
        int dropped = -1;
        string at = $"{count} samples from {start}, batch {batchSize}, world {worldSize}, {policy}";
        for (int rank = 0; rank < worldSize; rank++)
        {
            var planner = state is null ? new PartitionPlanner(Options(batchSize, rank, worldSize, policy)) : new PartitionPlanner(Options(batchSize, rank, worldSize, policy), state);
            EpochPlan plan = state is null ? planner.Plan(order, epoch, start, firstStep) : planner.Plan(set, selected, epoch);
            Assert.AreEqual(firstStep, plan.FirstBatch, at);
            Assert.IsTrue(dropped < 0 || dropped == plan.Dropped, at);
            dropped = plan.Dropped;
            steps.Add(plan.BatchCount);
            for (int p = 0; p < plan.Count; p++)
            {
                if (plan.IsRepeat(p))
                {
                    Assert.AreEqual(RemainderPolicy.Pad, policy, at);
                }
                else
                {
                    seen.Add(plan.Order[p]);
                }
            }
        }

        Assert.AreEqual(seen.Count, seen.Distinct().Count(), $"{at}: a sample reached two ranks");
        Assert.IsTrue(seen.All(remaining.Contains), $"{at}: a consumed sample was planned again");
        Assert.AreEqual(remaining.Count, seen.Count + dropped, $"{at}: samples missed");
        int last = (int)((count - start) % (batchSize * worldSize));
        Assert.AreEqual(policy == RemainderPolicy.Drop ? last % worldSize : 0, dropped, at);
        if (policy != RemainderPolicy.Uneven)
        {
            Assert.AreEqual(1, steps.Distinct().Count(), $"{at}: step counts {string.Join(", ", steps)}");
        }
        else
        {
            Assert.IsLessThanOrEqualTo(1, steps.Max() - steps.Min(), at);
        }
    }
}
