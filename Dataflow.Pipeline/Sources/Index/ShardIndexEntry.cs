namespace Dataflow.Pipeline.Sources;

/// <summary>One shard in a <see cref="ShardIndex"/>.</summary>
/// <param name="Name">The shard's file name, relative to the index.</param>
/// <param name="Samples">How many samples it holds.</param>
/// <param name="Bytes">Its size in bytes.</param>
/// <param name="Sha256">The SHA-256 of its bytes, lower-case hex.</param>
/// <param name="Members">Each sample's image member; null when the index lists shards only (the shard is then scanned).</param>
public sealed record ShardIndexEntry(string Name, int Samples, long Bytes, string Sha256, IReadOnlyList<ShardMemberEntry>? Members);
