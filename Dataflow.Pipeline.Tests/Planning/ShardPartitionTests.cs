using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Distributed;

namespace Dataflow.Pipeline.Tests.Planning;

/// <summary>
/// The shard-buffer order composed with the partition and the resume position, step by step as values: the order
/// (<see cref="ShardBufferOrder"/>), the split (<see cref="ShardRangePartition"/>), the state (<see cref="RemainingSamples"/>).
/// </summary>
[TestClass]
public sealed class ShardPartitionTests
{
    private static readonly int[] ShardSizes = [5, 9, 3, 12, 7, 8, 6, 1, 10];

    private static readonly LocalObjectStore Store = new(Path.GetTempPath());

    /// <summary>Samples in shards of <see cref="ShardSizes"/> (never read: the plans only look at where they lie).</summary>
    internal static SampleSet Set(int[]? sizes = null)
    {
        var samples = new List<SampleInfo>();
        int shard = 0;
        foreach (int size in sizes ?? ShardSizes)
        {
            for (int m = 0; m < size; m++)
            {
                int i = samples.Count;
                samples.Add(new SampleInfo(i, $"/data/shard-{shard:D2}.tar/{m:D3}.png", i % 3) { State = new ShardMember(Store, $"shard-{shard:D2}.tar", shard, 512 + m * 1024L, 900) });
            }

            shard++;
        }

        return new SampleSet(["a", "b", "c"], samples);
    }

    private static PipelineOptions Options(int batchSize, int rank = 0, int worldSize = 1, RemainderPolicy remainder = RemainderPolicy.Pad, bool dropLast = false) =>
        PartitionPlannerTests.Options(batchSize, rank, worldSize, remainder, dropLast);

    private static PartitionPlanner Planner(PipelineOptions options, int buffer, PipelineState? resume = null) => new(options, resume, buffer);

    private static int ShardOf(SampleSet set, int sample) => ((ShardMember)set.Samples[sample].State!).Shard;

    [TestMethod]
    public void Plan_WorldSizeOne_IsTheShardShufflePlannersPlan()
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        foreach (int batchSize in new[] { 1, 4, 7 })
        {
            foreach (bool dropLast in new[] { false, true })
            {
                foreach (int buffer in new[] { 1, 6, 100 })
                {
                    PipelineOptions options = Options(batchSize, dropLast: dropLast);
                    var shard = ShardShufflePlanner.For(options, buffer);
                    PartitionPlanner composed = Planner(options, buffer);
                    for (int epoch = 0; epoch < 3; epoch++)
                    {
                        EpochPlan expected = shard.Plan(set, selected, epoch), actual = composed.Plan(set, selected, epoch);
                        string at = $"batch {batchSize}, drop last {dropLast}, buffer {buffer}, epoch {epoch}";
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
    public void Plan_EveryWorldSizeAndPolicy_EverySampleOnceFromContiguousRunsOfTheStream()
    {
        SampleSet set = Set();
        int n = set.Samples.Count;
        int[] selected = [.. Enumerable.Range(0, n)];
        foreach (int worldSize in new[] { 1, 2, 3, 4, 7, 13, 80 })
        {
            foreach (RemainderPolicy policy in Enum.GetValues<RemainderPolicy>())
            {
                foreach (bool dropLast in new[] { false, true })
                {
                    foreach (int batchSize in new[] { 2, 5 })
                    {
                        string at = $"world {worldSize}, {policy}, drop last {dropLast}, batch {batchSize}";
                        int[] stream = ShardShufflePlanner.StreamOrder(set, selected, 17, 1);
                        var seen = new List<int>();
                        var steps = new HashSet<int>();
                        int shardsRead = 0, dropped = -1, lastEnd = 0;
                        for (int rank = 0; rank < worldSize; rank++)
                        {
                            EpochPlan plan = Planner(Options(batchSize, rank, worldSize, policy, dropLast), buffer: 6).Plan(set, selected, 1);
                            Assert.IsTrue(dropped < 0 || dropped == plan.Dropped, at);
                            dropped = plan.Dropped;
                            steps.Add(plan.BatchCount);
                            var real = Enumerable.Range(0, plan.Count).Where(p => !plan.IsRepeat(p)).Select(p => plan.Order[p]).ToList();
                            Assert.IsTrue(policy == RemainderPolicy.Pad && !dropLast || plan.RepeatCount == 0, at);
                            seen.AddRange(real);
                            shardsRead += plan.Order.ToArray().Select(s => ShardOf(set, s)).Distinct().Count();

                            // What the rank was given is one run of the stream, after the previous rank's.
                            int[] given = [.. plan.Ranges!.Given(rank).ToArray().Order()];
                            if (given.Length > 0)
                            {
                                Assert.AreEqual(lastEnd, given[0], $"{at}: rank {rank} starts where rank {rank - 1} ended");
                                Assert.AreEqual(given.Length, given[^1] - given[0] + 1, $"{at}: rank {rank}'s samples are contiguous in the stream");
                                Assert.IsTrue(real.All(s => given.Contains(Array.IndexOf(stream, s))), $"{at}: rank {rank} keeps only what it was given");
                                lastEnd = given[^1] + 1;
                            }
                        }

                        Assert.AreEqual(n, lastEnd, $"{at}: the runs cover the stream");
                        Assert.AreEqual(seen.Count, seen.Distinct().Count(), $"{at}: a sample reached two ranks");
                        Assert.AreEqual(n, seen.Count + dropped, $"{at}: samples missed");
                        Assert.IsTrue(policy == RemainderPolicy.Uneven && !dropLast ? steps.Max() - steps.Min() <= 1 : steps.Count == 1, $"{at}: step counts {string.Join(", ", steps)}");
                        Assert.IsLessThanOrEqualTo(ShardSizes.Length + worldSize - 1 + (policy == RemainderPolicy.Pad ? worldSize : 0), shardsRead, $"{at}: each shard read by one rank, but for the ends of the runs");
                    }
                }
            }
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4)]
    [DataRow(16)]
    public void Plan_EachRanksStream_HoldsNoMoreThanTheBuffer(int buffer)
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        foreach (int worldSize in new[] { 1, 2, 3, 5 })
        {
            for (int rank = 0; rank < worldSize; rank++)
            {
                EpochPlan plan = Planner(Options(3, rank, worldSize), buffer).Plan(set, selected, 2);
                var samples = plan.Order.ToArray().Select(i => set.Samples[i]).ToList();
                var stream = ShardStreamPlan.Create(samples, long.MaxValue);
                Assert.IsLessThanOrEqualTo(buffer + 1, stream.PeakSamples, $"world {worldSize}, rank {rank}");
                Assert.HasCount(samples.Select(s => ShardOf(set, s.Index)).Distinct().Count(), stream.Visits, "one visit (one request) per shard");
            }
        }
    }

    [TestMethod]
    public void Resume_SameWorldSize_PlansExactlyTheRestOfTheUninterruptedEpoch()
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        foreach (int worldSize in new[] { 1, 2, 3, 4 })
        {
            for (int rank = 0; rank < worldSize; rank++)
            {
                PartitionPlanner planner = Planner(Options(2, rank, worldSize), buffer: 5);
                EpochPlan whole = planner.Plan(set, selected, 1);
                var expected = PartitionPlannerTests.Batches(whole);
                for (int k = 0; k < whole.BatchCount - 1; k++)
                {
                    PipelineState state = PipelineState.Parse(planner.StateAfter(whole, k)!.ToBytes());
                    PartitionPlanner resumed = Planner(Options(2, rank, worldSize), 5, state);
                    var rest = PartitionPlannerTests.Batches(resumed.Plan(set, selected, 1));
                    string at = $"world {worldSize}, rank {rank}, after batch {k}";
                    Assert.HasCount(expected.Count - k - 1, rest, at);
                    for (int i = 0; i < rest.Count; i++)
                    {
                        Assert.AreEqual(expected[k + 1 + i].Batch, rest[i].Batch, at);
                        CollectionAssert.AreEqual(expected[k + 1 + i].Rows, rest[i].Rows, at);
                    }

                    CollectionAssert.AreEqual(planner.Plan(set, selected, 2).Order.ToArray(), resumed.Plan(set, selected, 2).Order.ToArray(), "the next epoch is the uninterrupted run's");
                }
            }
        }
    }

    [TestMethod]
    public void Resume_ThreeToTwoToFourAndOthers_EverySampleOfTheEpochExactlyOnce()
    {
        SampleSet set = Set();
        int n = set.Samples.Count;
        int[] selected = [.. Enumerable.Range(0, n)];
        foreach (int[] worlds in new[] { new[] { 3, 2, 4 }, [1, 3, 1], [4, 7, 2], [2, 2, 5], [5, 1, 3] })
        {
            foreach (RemainderPolicy policy in Enum.GetValues<RemainderPolicy>())
            {
                foreach (int stopAfter in new[] { 1, 2 })
                {
                    string at = $"worlds {string.Join("→", worlds)}, {policy}, stops after {stopAfter} steps";
                    var seen = new List<int>();
                    PipelineState? state = null;
                    int dropped = 0;
                    for (int stage = 0; stage < worlds.Length; stage++)
                    {
                        int w = worlds[stage];
                        bool last = stage == worlds.Length - 1;
                        PipelineState? next = null;
                        for (int rank = 0; rank < w; rank++)
                        {
                            PartitionPlanner planner = Planner(Options(2, rank, w, policy), buffer: 4, state);
                            EpochPlan plan = planner.Plan(set, selected, 1);
                            int take = last ? plan.BatchCount : Math.Min(stopAfter, plan.BatchCount - 1);
                            Assert.IsGreaterThan(0, take, $"{at}: stage {stage} has a batch to stop after");
                            seen.AddRange(Enumerable.Range(0, Math.Min(plan.Count, take * 2)).Where(p => !plan.IsRepeat(p)).Select(p => plan.Order[p]));
                            if (last)
                            {
                                dropped = plan.Dropped;
                                continue;
                            }

                            PipelineState saved = PipelineState.Parse(planner.StateAfter(plan, take - 1)!.ToBytes());
                            Assert.AreEqual(1, saved.Epoch, at);
                            Assert.IsTrue(next is null || next.ToString() == saved.ToString(), $"{at}: every rank saves the same state");
                            next = saved;
                        }

                        state = next;
                    }

                    Assert.AreEqual(seen.Count, seen.Distinct().Count(), $"{at}: a sample delivered twice");
                    Assert.AreEqual(n, seen.Count + dropped, $"{at}: samples lost");
                }
            }
        }
    }

    [TestMethod]
    public void State_ShardOrder_IsFormatTwoWithItsRangesAndItsBuffer()
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        PartitionPlanner planner = Planner(Options(2, 1, 3), buffer: 5);
        EpochPlan plan = planner.Plan(set, selected, 0);
        PipelineState state = planner.StateAfter(plan, 2)!;
        string json = System.Text.Encoding.UTF8.GetString(state.ToBytes());
        StringAssert.Contains(json, "\"format\":2");
        StringAssert.Contains(json, "\"shuffleBuffer\":5");
        StringAssert.Contains(json, "\"remaining\":[[");
        PipelineState parsed = PipelineState.Parse(state.ToBytes());
        Assert.AreEqual(state.ToString(), parsed.ToString());
        Assert.HasCount(3, parsed.Remaining!.Ranges, "one range per rank: each consumed a prefix of its run");

        // The start of the next epoch: no ranges, still format 2 (an older reader must not resume it in another order).
        string start = System.Text.Encoding.UTF8.GetString(planner.StateAfter(plan, plan.BatchCount - 1)!.ToBytes());
        StringAssert.Contains(start, "\"format\":2");
        Assert.DoesNotContain("remaining", start);
    }

    [TestMethod]
    public void State_DamagedRanges_RefusedNamingTheField()
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        PartitionPlanner planner = Planner(Options(2, 0, 2), buffer: 5);
        EpochPlan plan = planner.Plan(set, selected, 0);
        string json = System.Text.Encoding.UTF8.GetString(planner.StateAfter(plan, 1)!.ToBytes());
        string ranges = json[json.IndexOf("\"remaining\":", StringComparison.Ordinal)..json.LastIndexOf('}')];
        foreach ((string damaged, string expected) in new[]
        {
            ("\"remaining\":[[0,99,0]]", "\"remaining\" must be range 0 [0, 99) after 0: ranges must be ascending, disjoint and non-empty, within the epoch's 61 samples"),
            ("\"remaining\":[[10,20,0],[15,30,0]]", "range 1 [15, 30)"),
            ("\"remaining\":[[5,5,0]]", "range 0 [5, 5)"),
            ("\"remaining\":[[0,\"a\",0]]", "\"remaining\" must be an array of [from, to, after] whole numbers"),
            ("\"remaining\":{}", "an array of [from, to, after]"),
        })
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(json.Replace(ranges, damaged));
            var e = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(bytes, "state.json"), damaged);
            StringAssert.Contains(e.Message, expected, damaged);
        }

        // Well-formed ranges that do not hold what the position says are refused when the epoch is planned.
        byte[] moved = System.Text.Encoding.UTF8.GetBytes(json.Replace(ranges, "\"remaining\":[[0,61,0]]"));
        PipelineState wrong = PipelineState.Parse(moved);
        var plannedError = Assert.ThrowsExactly<InvalidDataException>(() => Planner(Options(2, 0, 2), 5, wrong).Plan(set, selected, 0));
        StringAssert.Contains(plannedError.Message, "hold 61 samples of the epoch, but its position 8 leaves 53 of 61");

        // A state without ranges part-way through the epoch cannot say what remains.
        byte[] bare = System.Text.Encoding.UTF8.GetBytes(json.Replace("," + ranges, ""));
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(bare, "state.json"));
        StringAssert.Contains(missing.Message, "\"remaining\" must be the ranges that remain");
    }

    [TestMethod]
    public void Resume_StateOfTheOtherOrder_RefusedNamingShuffleBuffer()
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        var folder = new PartitionPlanner(Options(2));
        PipelineState folderState = folder.StateAfter(folder.Plan(set, selected, 0), 1)!;
        var e = Assert.ThrowsExactly<ArgumentException>(() => Planner(Options(2), 5, folderState));
        StringAssert.Contains(e.Message, "ShuffleBuffer (the shard-buffer order's; 0 for the built-in order) was 0 in the state, is 5 in this run");

        PartitionPlanner shards = Planner(Options(2), 5);
        PipelineState shardState = shards.StateAfter(shards.Plan(set, selected, 0), 1)!;
        e = Assert.ThrowsExactly<ArgumentException>(() => new PartitionPlanner(Options(2), shardState));
        StringAssert.Contains(e.Message, "was 5 in the state, is 0 in this run");
        e = Assert.ThrowsExactly<ArgumentException>(() => Planner(Options(2), 6, shardState));
        StringAssert.Contains(e.Message, "was 5 in the state, is 6 in this run");
    }

    [TestMethod]
    public void Agreed_RanksWithOtherRanges_RefusedNamingTheRank()
    {
        SampleSet set = Set();
        int[] selected = [.. Enumerable.Range(0, set.Samples.Count)];
        var states = new List<PipelineState>();
        for (int rank = 0; rank < 2; rank++)
        {
            PartitionPlanner planner = Planner(Options(2, rank, 2), buffer: 5);
            states.Add(planner.StateAfter(planner.Plan(set, selected, 0), 1)!);
        }

        Assert.AreSame(states[0], PipelineState.Agreed(states));
        string json = System.Text.Encoding.UTF8.GetString(states[1].ToBytes());
        int at = json.IndexOf("\"remaining\":[[", StringComparison.Ordinal) + 14;
        int comma = json.IndexOf(',', at);
        int from = int.Parse(json[at..comma], System.Globalization.CultureInfo.InvariantCulture);
        // The same position and step, one range moved: the ranks would resume different samples.
        PipelineState other = PipelineState.Parse(System.Text.Encoding.UTF8.GetBytes(json[..at] + (from + 1) + json[comma..]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => PipelineState.Agreed([states[0], other]));
        StringAssert.Contains(e.Message, "rank 1 stopped at epoch 0, position 8, step 2");
    }
}
