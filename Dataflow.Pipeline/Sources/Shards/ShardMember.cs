namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Where a shard sample's image bytes lie: the shard (its store, key and ordinal among the discovered shards) and the
/// data's offset and length.
/// </summary>
internal sealed record ShardMember(IObjectStore Store, string ShardKey, int Shard, long Offset, long Length) : IShardPosition
{
    public override string ToString() => $"{Store.Describe(ShardKey)} bytes {Offset}..{Offset + Length}";
}
