namespace Dataflow.Pipeline.Sources;

/// <summary>One sample of a shard: its key, image field, label and where the image's bytes lie in the shard.</summary>
/// <param name="Key">The WebDataset key (member path up to the first dot of its last component).</param>
/// <param name="Image">The image field (the member name's extension, such as <c>jpg</c>).</param>
/// <param name="Label">Class index into <see cref="ShardIndex.Classes"/>.</param>
/// <param name="Offset">Byte offset of the image's data in the shard.</param>
/// <param name="Length">Length of the image's data.</param>
public sealed record ShardMemberEntry(string Key, string Image, int Label, long Offset, long Length)
{
    /// <summary>The sample's text (its <c>txt</c> field, else its <c>json</c> field), or null when it has none.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Text { get; init; }
}
