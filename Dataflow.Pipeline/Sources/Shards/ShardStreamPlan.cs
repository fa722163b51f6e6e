using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// How an ordered list of shard samples is read as streams: one visit per shard (one ranged GET from the first member
/// the list needs to the last), and the order in which the members are read if each stream is read no further than
/// the sample due next needs. A pure function of the list; <see cref="PeakSamples"/> and <see cref="PeakBytes"/> are
/// what that reading holds at most (members read before their turn, and the one handed on).
/// </summary>
internal sealed class ShardStreamPlan
{
    private ShardStreamPlan(SampleInfo[] entries, List<Visit> visits, List<(int Visit, int Member)> reads, int peakSamples, long peakBytes)
    {
        Entries = entries;
        Visits = visits;
        Reads = reads;
        PeakSamples = peakSamples;
        PeakBytes = peakBytes;
    }

    /// <summary>The samples in the order they are handed on.</summary>
    public SampleInfo[] Entries { get; }

    /// <summary>The shards in the order each is first needed.</summary>
    public List<Visit> Visits { get; }

    /// <summary>Every member read, in the order the reader reads them.</summary>
    public List<(int Visit, int Member)> Reads { get; }

    /// <summary>The most samples held at once when each stream is read only as far as the sample due needs.</summary>
    public int PeakSamples { get; }

    /// <summary>The most bytes held at once when each stream is read only as far as the sample due needs.</summary>
    public long PeakBytes { get; }

    /// <summary>Plans <paramref name="samples"/> (all discovered by a <see cref="ShardSampleSource"/>).</summary>
    public static ShardStreamPlan Create(IReadOnlyList<SampleInfo> samples)
    {
        var entries = new SampleInfo[samples.Count];
        var visitOf = new Dictionary<int, int>();
        var visits = new List<Visit>();
        var builders = new List<Dictionary<long, List<int>>>();
        for (int i = 0; i < entries.Length; i++)
        {
            SampleInfo sample = entries[i] = samples[i];
            var member = sample.State as ShardMember
                ?? throw new ArgumentException($"Sample {sample} was not discovered by a {nameof(ShardSampleSource)}.", nameof(samples));
            if (!visitOf.TryGetValue(member.Shard, out int v))
            {
                visitOf[member.Shard] = v = visits.Count;
                visits.Add(new Visit(member.Store, member.ShardKey));
                builders.Add([]);
            }

            if (!builders[v].TryGetValue(member.Offset, out List<int>? positions))
            {
                builders[v][member.Offset] = positions = [];
            }

            positions.Add(i);
        }

        // Each visit's members in file order; where each entry is found.
        var location = new (int Visit, int Member)[entries.Length];
        for (int v = 0; v < visits.Count; v++)
        {
            Visit visit = visits[v];
            foreach (var (offset, positions) in builders[v].OrderBy(p => p.Key))
            {
                int length = ((ShardMember)entries[positions[0]].State!).Length;
                foreach (int p in positions)
                {
                    location[p] = (v, visit.Members.Count);
                }

                visit.Members.Add(new Member(offset, length, [.. positions]));
            }
        }

        // Read lazily: the sample due next is read, with what lies before it in its shard's stream.
        var reads = new List<(int, int)>(visits.Sum(v => v.Members.Count));
        var next = new int[visits.Count];
        int held = 0, peakSamples = 0;
        long heldBytes = 0, peakBytes = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var (v, m) = location[i];
            while (next[v] <= m)
            {
                Member member = visits[v].Members[next[v]];
                member.Step = i;
                reads.Add((v, next[v]++));
                held += member.Entries.Length;
                heldBytes += (long)member.Length * member.Entries.Length;
            }

            peakSamples = Math.Max(peakSamples, held);
            peakBytes = Math.Max(peakBytes, heldBytes);
            held--;
            heldBytes -= visits[v].Members[m].Length;
        }

        return new ShardStreamPlan(entries, visits, reads, peakSamples, peakBytes);
    }

    /// <summary>One shard, read as one stream from its first needed member to the end of its last.</summary>
    internal sealed class Visit(IObjectStore store, string key)
    {
        public IObjectStore Store { get; } = store;

        public string Key { get; } = key;

        /// <summary>The members needed, in file order.</summary>
        public List<Member> Members { get; } = [];

        public long Start => Members[0].Offset;

        public long End => Members[^1].Offset + Members[^1].Length;
    }

    /// <summary>A member's data and the entries (positions in the list) that need it.</summary>
    internal sealed class Member(long offset, int length, int[] entries)
    {
        public long Offset { get; } = offset;

        public int Length { get; } = length;

        public int[] Entries { get; } = entries;

        /// <summary>The entry being served when a lazy reader reads this member: reading it then never passes the bounds.</summary>
        public int Step { get; set; }
    }
}
