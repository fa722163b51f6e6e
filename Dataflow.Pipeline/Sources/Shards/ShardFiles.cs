using System.IO.Compression;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Which files are shards and how their bytes are opened: <c>*.tar</c> as they are, <c>*.tar.gz</c> and <c>*.tgz</c>
/// through a <see cref="GZipStream"/>. A gzip shard's member offsets are offsets in its uncompressed bytes.
/// </summary>
internal static class ShardFiles
{
    /// <summary>The file name endings read as shards, for messages.</summary>
    public const string Patterns = "*.tar, *.tar.gz, *.tgz";

    /// <summary>True when <paramref name="key"/> names a shard.</summary>
    public static bool IsShard(string key) =>
        key.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || IsGzip(key);

    /// <summary>True when <paramref name="key"/> names a gzip-compressed shard.</summary>
    public static bool IsGzip(string key) =>
        key.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || key.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Opens the shard's bytes from <paramref name="offset"/> (ranged, <paramref name="length"/> bytes) and returns the
    /// stream with the shard offset it starts at: a gzip shard is always opened from its start and decompressed, so the
    /// caller reads forward to the offset it needs.
    /// </summary>
    public static async Task<(Stream Stream, long Start)> OpenAsync(IObjectStore store, string key, long offset, long length, CancellationToken cancellationToken)
    {
        if (!IsGzip(key))
        {
            return (await store.OpenReadAsync(key, offset, length, cancellationToken).ConfigureAwait(false), offset);
        }

        return (await OpenWholeAsync(store, key, cancellationToken).ConfigureAwait(false), 0);
    }

    /// <summary>Opens the shard's bytes from its start (a local tar seekable, a gzip shard decompressed).</summary>
    public static async Task<Stream> OpenWholeAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        Stream stream = await store.OpenReadAsync(key, 0, null, cancellationToken).ConfigureAwait(false);
        return IsGzip(key) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }
}
