using System.Globalization;
using System.Text.Json;

namespace Dataflow.Pipeline.Planning;

/// <summary>One part of what remains of a streamed epoch: the samples at stream positions <c>From</c> to <c>To - 1</c> whose mixed position is at least <c>After</c>.</summary>
/// <param name="From">The first stream position of the range.</param>
/// <param name="To">One past the range's last stream position.</param>
/// <param name="After">The range's samples handed on before this mixed position were consumed.</param>
internal readonly record struct RemainingRange(int From, int To, int After);

/// <summary>
/// What remains of an epoch in the shard-buffer order (<see cref="ShardBufferOrder"/>), as position, not history: a
/// few ranges of the epoch's stream, each with the mixed position before which its samples were consumed. Each rank
/// consumed a prefix (in mixed order) of a contiguous range of the stream, so a stop of <c>W</c> ranks adds at most
/// <c>W</c> ranges; the set is a pure function of the epoch's order and can be split again for any number of ranks.
/// </summary>
internal sealed class RemainingSamples : IEquatable<RemainingSamples>
{
    private readonly RemainingRange[] _ranges;

    public RemainingSamples(IEnumerable<RemainingRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        _ranges = Merge(ranges);
    }

    /// <summary>The ranges, ascending and disjoint.</summary>
    public IReadOnlyList<RemainingRange> Ranges => _ranges;

    /// <summary>The whole epoch of <paramref name="count"/> samples.</summary>
    public static RemainingSamples Whole(int count) => new([new RemainingRange(0, count, 0)]);

    /// <summary>The stream positions that remain, ascending.</summary>
    public int[] Members(ShardBufferOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var members = new List<int>();
        foreach (RemainingRange range in _ranges)
        {
            int to = Math.Min(range.To, order.Count);
            for (int s = range.From; s < to; s++)
            {
                if (order.MixedAt[s] >= range.After)
                {
                    members.Add(s);
                }
            }
        }

        return [.. members];
    }

    /// <summary>Checks the ranges against an epoch of <paramref name="samples"/>; the message names the field and what is wrong.</summary>
    public string? Problem(int samples)
    {
        int previous = 0;
        for (int i = 0; i < _ranges.Length; i++)
        {
            RemainingRange r = _ranges[i];
            if (r.From < previous || r.From >= r.To || r.To > samples || r.After < 0 || r.After > samples)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"range {i} [{r.From}, {r.To}) after {r.After}: ranges must be ascending, disjoint and non-empty, within the epoch's {samples} samples");
            }

            previous = r.To;
        }

        return null;
    }

    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartArray("remaining");
        foreach (RemainingRange r in _ranges)
        {
            json.WriteStartArray();
            json.WriteNumberValue(r.From);
            json.WriteNumberValue(r.To);
            json.WriteNumberValue(r.After);
            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    /// <summary>Reads the array written by <see cref="WriteTo"/>; null when <paramref name="e"/> is not an array of [from, to, after] whole numbers.</summary>
    public static RemainingSamples? Read(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var ranges = new List<RemainingRange>();
        foreach (JsonElement item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 3)
            {
                return null;
            }

            var v = new int[3];
            int k = 0;
            foreach (JsonElement number in item.EnumerateArray())
            {
                if (number.ValueKind != JsonValueKind.Number || !number.TryGetInt32(out v[k++]))
                {
                    return null;
                }
            }

            ranges.Add(new RemainingRange(v[0], v[1], v[2]));
        }

        // Kept as written (not merged) so that the check sees what the file says.
        return new RemainingSamples(ranges, merge: false);
    }

    public bool Equals(RemainingSamples? other) => other is not null && _ranges.AsSpan().SequenceEqual(other._ranges);

    public override bool Equals(object? obj) => Equals(obj as RemainingSamples);

    public override int GetHashCode() => _ranges.Length == 0 ? 0 : HashCode.Combine(_ranges.Length, _ranges[0]);

    public override string ToString() => string.Join(", ", _ranges.Select(r => string.Create(CultureInfo.InvariantCulture, $"[{r.From}, {r.To}) after {r.After}")));

    private RemainingSamples(List<RemainingRange> ranges, bool merge) => _ranges = merge ? Merge(ranges) : [.. ranges];

    /// <summary>Ascending, empty ranges left out, neighbours with the same mixed bound joined.</summary>
    private static RemainingRange[] Merge(IEnumerable<RemainingRange> ranges)
    {
        var merged = new List<RemainingRange>();
        foreach (RemainingRange r in ranges.Where(r => r.From < r.To).OrderBy(r => r.From))
        {
            if (merged.Count > 0 && merged[^1].To == r.From && merged[^1].After == r.After)
            {
                merged[^1] = merged[^1] with { To = r.To };
            }
            else
            {
                merged.Add(r);
            }
        }

        return [.. merged];
    }
}
