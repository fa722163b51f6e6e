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
    private ShardStreamPlan(SampleInfo[] entries, List<Visit> visits, (int Visit, int Member)[] reads, int peakSamples, long peakBytes, long maxMemberBytes)
    {
        MaxMemberBytes = maxMemberBytes;
        Entries = entries;
        Visits = visits;
        Reads = reads;
        PeakSamples = peakSamples;
        PeakBytes = peakBytes;
    }

    /// <summary>Members with more bytes are not read (<see cref="ShardSourceOptions.MaxMemberBytes"/>).</summary>
    public long MaxMemberBytes { get; }

    /// <summary>The samples in the order they are handed on.</summary>
    public SampleInfo[] Entries { get; }

    /// <summary>The shards in the order each is first needed.</summary>
    public List<Visit> Visits { get; }

    /// <summary>Every member read, in the order the reader reads them.</summary>
    public (int Visit, int Member)[] Reads { get; }

    /// <summary>The most samples held at once when each stream is read only as far as the sample due needs.</summary>
    public int PeakSamples { get; }

    /// <summary>The most bytes held at once when each stream is read only as far as the sample due needs.</summary>
    public long PeakBytes { get; }

    /// <summary>Plans <paramref name="samples"/> (all discovered by a <see cref="ShardSampleSource"/>); members above <paramref name="maxMemberBytes"/> are passed over, never held.</summary>
    /// <remarks>About 50 bytes per sample live while the epoch is read (its member, its read, its entry), and 24 more while planning.</remarks>
    public static ShardStreamPlan Create(IReadOnlyList<SampleInfo> samples, long maxMemberBytes)
    {
        // Collections here hold references or plain arrays: generic collection code over a struct (a tuple, a member)
        // is compiled at run time, before the first batch, where the shared code for references is precompiled.
        var entries = new SampleInfo[samples.Count];
        var visitOf = new List<int>(); // visit + 1 by shard ordinal; 0 where not visited yet
        var visits = new List<Visit>();
        var needed = new List<List<Needed>>();
        for (int i = 0; i < entries.Length; i++)
        {
            SampleInfo sample = entries[i] = samples[i];
            var member = sample.State as ShardMember
                ?? throw new ArgumentException($"Sample {sample} was not discovered by a {nameof(ShardSampleSource)}.", nameof(samples));
            while (visitOf.Count <= member.Shard)
            {
                visitOf.Add(0);
            }

            int v = visitOf[member.Shard] - 1;
            if (v < 0)
            {
                v = visits.Count;
                visitOf[member.Shard] = v + 1;
                visits.Add(new Visit(member.Store, member.ShardKey));
                needed.Add([]);
            }

            needed[v].Add(new Needed(member.Offset, i));
        }

        // Each visit's members in file order (a member listed at several positions once, with all of them); where each entry is found.
        var location = new (int Visit, int Member)[entries.Length];
        int totalMembers = 0;
        for (int v = 0; v < visits.Count; v++)
        {
            List<Needed> items = needed[v];
            items.Sort(NeededOrder.Instance);
            var members = new Member[items.Count];
            int count = 0;
            for (int start = 0; start < items.Count;)
            {
                int end = start + 1;
                while (end < items.Count && items[end].Offset == items[start].Offset)
                {
                    end++;
                }

                int[]? more = null;
                if (end - start > 1)
                {
                    more = new int[end - start - 1];
                    for (int k = start + 1; k < end; k++)
                    {
                        more[k - start - 1] = items[k].Entry;
                    }
                }

                for (int k = start; k < end; k++)
                {
                    location[items[k].Entry] = (v, count);
                }

                long length = ((ShardMember)entries[items[start].Entry].State!).Length;
                members[count++] = new Member(items[start].Offset, length > maxMemberBytes ? -1 : (int)length, items[start].Entry, more);
                start = end;
            }

            var kept = new Member[count];
            for (int k = 0; k < count; k++)
            {
                kept[k] = members[k];
            }

            visits[v].Members = kept;
            totalMembers += count;
            needed[v] = [];
        }

        // Read lazily: the sample due next is read, with what lies before it in its shard's stream.
        var reads = new (int Visit, int Member)[totalMembers];
        int readCount = 0;
        var next = new int[visits.Count];
        int held = 0, peakSamples = 0;
        long heldBytes = 0, peakBytes = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var (v, m) = location[i];
            Member[] members = visits[v].Members;
            while (next[v] <= m)
            {
                ref Member member = ref members[next[v]];
                member.Step = i;
                reads[readCount++] = (v, next[v]++);
                held += member.Count;
                heldBytes += (long)member.Length * member.Count;
            }

            peakSamples = Math.Max(peakSamples, held);
            peakBytes = Math.Max(peakBytes, heldBytes);
            held--;
            heldBytes -= members[m].Length;
        }

        return new ShardStreamPlan(entries, visits, reads, peakSamples, peakBytes, maxMemberBytes);
    }

    /// <summary>A sample's member offset in its shard, and its position in the list.</summary>
    private sealed record Needed(long Offset, int Entry);

    /// <summary>By offset, then position.</summary>
    private sealed class NeededOrder : IComparer<Needed>
    {
        public static readonly NeededOrder Instance = new();

        public int Compare(Needed? x, Needed? y) =>
            x!.Offset != y!.Offset ? x.Offset.CompareTo(y.Offset) : x.Entry.CompareTo(y.Entry);
    }

    /// <summary>One shard, read as one stream from its first needed member to the end of its last.</summary>
    internal sealed class Visit(IObjectStore store, string key)
    {
        public IObjectStore Store { get; } = store;

        public string Key { get; } = key;

        /// <summary>The members needed, in file order.</summary>
        public Member[] Members { get; set; } = [];

        public long Start => Members[0].Offset;

        public long End => Members[^1].Offset + Members[^1].Length;
    }

    /// <summary>A member's data and the entries (positions in the list) that need it, in ascending order.</summary>
    internal struct Member(long offset, int length, int first, int[]? more)
    {
        public readonly long Offset => offset;

        /// <summary>The bytes read and held; 0 for a member above the size limit, which is not read.</summary>
        public readonly int Length => Math.Max(0, length);

        /// <summary>True for a member above the size limit: its entries get the refusal instead of its bytes.</summary>
        public readonly bool TooLarge => length < 0;

        /// <summary>How many entries need the member (more than one for a sample repeated in the list).</summary>
        public readonly int Count => 1 + (more?.Length ?? 0);

        /// <summary>The entry being served when a lazy reader reads this member: reading it then never passes the bounds.</summary>
        public int Step { get; set; }

        public readonly int EntryAt(int i) => i == 0 ? first : more![i - 1];
    }
}
