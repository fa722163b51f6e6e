namespace Dataflow.Pipeline.Sources;

/// <summary>Where a shard sample's image bytes lie: the shard (its store and key) and the data's offset and length.</summary>
internal sealed record ShardMember(IObjectStore Store, string ShardKey, long Offset, int Length)
{
    public override string ToString() => $"{Store.Describe(ShardKey)} bytes {Offset}..{Offset + Length}";
}
