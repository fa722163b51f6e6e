using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The index written beside a set of tar shards (<see cref="FileName"/>): the class names, and per shard its file
/// name, sample count, byte size, SHA-256 and members (key, image field, label, data offset and length). With it a
/// run starts without reading any shard, and a shard that changed since is detected by its size or hash.
/// </summary>
public sealed class ShardIndex
{
    /// <summary>The index's file name beside the shards.</summary>
    public const string FileName = "dataset-index.json";

    /// <summary>The format name written in <see cref="Format"/>.</summary>
    public const string FormatName = "dataflow-pipeline/shards";

    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The format name; <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>The shards, in order.</summary>
    public IReadOnlyList<ShardIndexEntry> Shards { get; init; } = [];

    /// <summary>True when <paramref name="fileName"/> names a shard (<c>*.tar</c>, <c>*.tar.gz</c>, <c>*.tgz</c>).</summary>
    public static bool IsShardFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return ShardFiles.IsShard(fileName);
    }

    /// <summary>
    /// Indexes shards written by any tool (<c>tar</c>, Python's <c>webdataset</c>, <see cref="ShardWriter"/>): scans
    /// every shard at <paramref name="root"/> as a <see cref="ShardSampleSource"/> without an index does, and hashes it.
    /// </summary>
    /// <param name="root">A folder or location holding the shards, one shard file, or a brace pattern (as posted to the source).</param>
    /// <param name="options">How the location is reached, and the class names; the index beside the shards, if any, is not read.</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    /// <returns>The index, and what the scan left out (the same entries a run without an index lists in <see cref="PipelineReport.Ignored"/>).</returns>
    /// <remarks>Shards that hold no usable sample are not listed (a run with the index names them as not listed).</remarks>
    /// <exception cref="InvalidDataException">A shard is not a valid tar, or the shards hold no usable samples.</exception>
    /// <exception cref="DirectoryNotFoundException">The location holds no shards.</exception>
    public static async Task<(ShardIndex Index, IReadOnlyList<Discovery.IgnoredEntry> Ignored)> CreateAsync(string root, ShardSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= new ShardSourceOptions();
        using var source = new ShardSampleSource(new ShardSourceOptions
        {
            Storage = options.Storage,
            ClassNames = options.ClassNames,
            MaxMemberBytes = options.MaxMemberBytes,
            MaxSamplesHeld = options.MaxSamplesHeld,
            UseIndex = false,
        });
        Discovery.SampleSet set = await source.DiscoverAsync([root], cancellationToken).ConfigureAwait(false);
        var shards = new List<ShardIndexEntry>();
        foreach (var group in set.Samples.GroupBy(s => ((ShardMember)s.State!).Shard).OrderBy(g => g.Key))
        {
            ShardMember first = (ShardMember)group.First().State!;
            (IObjectStore store, string key) = (first.Store, first.ShardKey);
            string shardId = store.Describe(key) + "/";
            var members = new List<ShardMemberEntry>();
            foreach (Discovery.SampleInfo sample in group)
            {
                var member = (ShardMember)sample.State!;
                string name = sample.Id[shardId.Length..];
                int dot = name.IndexOf('.', name.LastIndexOf('/') + 1);
                members.Add(new ShardMemberEntry(name[..dot], name[(dot + 1)..], sample.Label, member.Offset, member.Length) { Text = sample.Targets?.Text });
            }

            (long size, string hash) = await SizeAndHashAsync(store, key, cancellationToken).ConfigureAwait(false);
            shards.Add(new ShardIndexEntry(key[(key.LastIndexOf('/') + 1)..], members.Count, size, hash, members));
        }

        return (new ShardIndex { Classes = [.. set.ClassNames], Shards = shards }, set.Ignored);
    }

    /// <summary>The shard's size and SHA-256, from one read of its bytes.</summary>
    /// <exception cref="FileNotFoundException">The shard was removed while it was indexed.</exception>
    private static async Task<(long Size, string Hash)> SizeAndHashAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = await store.OpenReadAsync(key, 0, null, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"The shard '{store.Describe(key)}' was removed while it was indexed.", store.Describe(key), e);
        }

        using (stream)
        using (var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
        {
            byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
            try
            {
                long size = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    size += read;
                }

                return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Writes the index as indented JSON.</summary>
    public void Save(Stream stream) => JsonSerializer.Serialize(stream, this, ShardIndexJson.Default.ShardIndex);

    /// <summary>Reads an index; <paramref name="where"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The file is not a shard index of a version this library reads.</exception>
    /// <remarks>
    /// The whole file is first read as JSON (anything that is not one JSON value is "not valid JSON"), then by the
    /// source-generated serializer (<see cref="ShardIndexReadJson"/>): a value of the wrong kind is refused naming its
    /// path. Property names are matched exactly; unknown properties are passed over, whatever they hold.
    /// </remarks>
    public static ShardIndex Load(Stream stream, string where)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var bytes = new MemoryStream(stream.CanSeek ? (int)Math.Min(int.MaxValue, Math.Max(0, stream.Length - stream.Position)) : 0);
        stream.CopyTo(bytes);
        ReadOnlySpan<byte> json = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
        json = json.StartsWith("\uFEFF"u8) ? json[3..] : json;
        bool isObject;
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            isObject = reader.TokenType == JsonTokenType.StartObject;
            reader.Skip();
            // Anything after the value is refused, as a parse of the whole document would.
            reader.Read();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The shard index '{where}' is not valid JSON: {e.Message}", e);
        }

        ShardIndex? index;
        try
        {
            // A JSON value, but no index (an array, a number): not a shard index.
            index = isObject ? JsonSerializer.Deserialize(json, ShardIndexReadJson.Default.ShardIndexDocument)?.ToIndex() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The shard index '{where}' holds a value of the wrong kind: {e.Message}", e);
        }

        if (index is null || index.Format != FormatName)
        {
            throw new InvalidDataException($"The file '{where}' is not a shard index (format \"{index?.Format}\", expected \"{FormatName}\").");
        }

        if (index.Version != CurrentVersion)
        {
            throw new InvalidDataException($"The shard index '{where}' has format version {index.Version}; this library reads version {CurrentVersion}.");
        }

        List<string> failures = index.Check();
        if (failures.Count > 0)
        {
            const int shown = 20;
            string more = failures.Count > shown ? $"{Environment.NewLine}  ... and {failures.Count - shown} more" : "";
            throw new InvalidDataException(
                $"The shard index '{where}' is not valid ({failures.Count} {(failures.Count == 1 ? "problem" : "problems")}):{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", failures.Take(shown))}{more}");
        }

        return index;
    }

    /// <summary>
    /// Every way the index contradicts itself or a tar shard's structure, each naming the shard, the member and the
    /// field: an index is input like any other, and may have been edited or written by another tool.
    /// </summary>
    private List<string> Check()
    {
        var failures = new List<string>();
        var classAt = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < Classes.Count; c++)
        {
            string name = Classes[c];
            if (string.IsNullOrEmpty(name))
            {
                failures.Add($"classes[{c}] is {(name is null ? "null" : "empty")}");
            }
            else if (!classAt.TryAdd(name, c))
            {
                failures.Add($"classes[{c}] \"{name}\" is listed twice (also classes[{classAt[name]}])");
            }
        }

        var shardAt = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Shards.Count; i++)
        {
            ShardIndexEntry shard = Shards[i];
            string name = shard.Name;
            string at = $"shards[{i}]";
            if (string.IsNullOrEmpty(name))
            {
                failures.Add($"{at}: name is {(name is null ? "null" : "empty")}");
                continue;
            }

            at = $"shards[{i}] '{name}'";
            if (name.IndexOfAny(['/', '\\']) >= 0 || !ShardFiles.IsShard(name))
            {
                failures.Add($"{at}: name is not a shard file name beside the index ({ShardFiles.Patterns}, no folder)");
            }
            else if (!shardAt.TryAdd(name, i))
            {
                failures.Add($"{at}: the shard is listed twice (also shards[{shardAt[name]}])");
            }

            if (shard.Samples < 0)
            {
                failures.Add($"{at}: samples {shard.Samples} is negative");
            }

            if (shard.Bytes < 0)
            {
                failures.Add($"{at}: bytes {shard.Bytes} is negative");
            }

            if (shard.Members is not null)
            {
                CheckMembers(at, shard, failures);
            }
        }

        return failures;
    }

    private void CheckMembers(string at, ShardIndexEntry shard, List<string> failures)
    {
        var keyAt = new Dictionary<string, int>(StringComparer.Ordinal);
        var placed = new List<(long Offset, long End, int Member)>();
        bool gzip = ShardFiles.IsGzip(shard.Name);
        for (int m = 0; m < shard.Members!.Count; m++)
        {
            ShardMemberEntry member = shard.Members[m];
            string where = member.Key is null ? $"{at} members[{m}]" : $"{at} members[{m}] (key '{member.Key}')";
            if (string.IsNullOrEmpty(member.Key))
            {
                failures.Add($"{where}: key is {(member.Key is null ? "null" : "empty")}");
            }
            else if (member.Key.StartsWith('/') || member.Key.Split('/').Contains(".."))
            {
                failures.Add($"{where}: key leaves the shard (a leading '/' or a '..' component)");
            }
            else if (!keyAt.TryAdd(member.Key, m))
            {
                failures.Add($"{where}: key is listed twice in the shard (also members[{keyAt[member.Key]}])");
            }

            if (member.Image is null || !TarShardScanner.ImageFields.Contains(member.Image))
            {
                failures.Add($"{where}: image \"{member.Image ?? "null"}\" is not an image field ({string.Join(", ", TarShardScanner.ImageFields.Order(StringComparer.Ordinal))})");
            }

            if (member.Label < 0 || member.Label >= Classes.Count)
            {
                failures.Add($"{where}: label {member.Label} is not one of the {Classes.Count} classes{(Classes.Count > 0 ? $" (0..{Classes.Count - 1})" : "")}");
            }

            bool placeable = true;
            if (member.Offset < 512 || member.Offset % 512 != 0)
            {
                failures.Add($"{where}: offset {member.Offset} is not where a tar member's data can start (a multiple of 512, at least 512)");
                placeable = false;
            }

            if (member.Length < 0)
            {
                failures.Add($"{where}: length {member.Length} is negative");
                placeable = false;
            }
            else if (member.Length > Array.MaxLength)
            {
                failures.Add($"{where}: length {member.Length} is more than one buffer can hold ({Array.MaxLength} bytes)");
                placeable = false;
            }
            else if (!gzip && member.Offset + member.Length > shard.Bytes)
            {
                // A gzip shard's size is its compressed size: its members' ends are checked as it is read.
                failures.Add($"{where}: offset {member.Offset} + length {member.Length} is past the shard's end ({shard.Bytes} bytes)");
                placeable = false;
            }

            if (placeable)
            {
                placed.Add((member.Offset, member.Offset + member.Length, m));
            }
        }

        // Each member's data follows its own header: data ranges that meet or overlap are two members of one place.
        placed.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.Member.CompareTo(b.Member));
        for (int k = 1; k < placed.Count; k++)
        {
            var (before, here) = (placed[k - 1], placed[k]);
            long room = ((before.End + 511) / 512 * 512) + 512;
            if (here.Offset < room)
            {
                failures.Add($"{at} members[{here.Member}] (key '{shard.Members[here.Member].Key}'): bytes {here.Offset}..{here.End} overlap members[{before.Member}] (key '{shard.Members[before.Member].Key}', bytes {before.Offset}..{before.End} and its header)");
            }
        }
    }
}

/// <summary>
/// The index's JSON contract for writing, generated at build time (no reflection when packing).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ShardIndex))]
internal sealed partial class ShardIndexJson : JsonSerializerContext;
