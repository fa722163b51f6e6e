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
    /// Read in one pass with a <see cref="Utf8JsonReader"/> rather than by the serializer or a <see cref="JsonDocument"/>:
    /// the serializer's readers for these types (records with constructors, int and long properties) are generic code
    /// compiled at run time, and a document is a second copy of the index's structure, built before it is walked.
    /// Property names are matched exactly; unknown properties are passed over, whatever they hold.
    /// </remarks>
    public static ShardIndex Load(Stream stream, string where)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ShardIndex? index;
        try
        {
            using var bytes = new MemoryStream(stream.CanSeek ? (int)Math.Min(int.MaxValue, Math.Max(0, stream.Length - stream.Position)) : 0);
            stream.CopyTo(bytes);
            ReadOnlySpan<byte> json = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
            var reader = new Utf8JsonReader(json.StartsWith("\uFEFF"u8) ? json[3..] : json);
            index = Read(ref reader);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The shard index '{where}' is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
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

    private static ShardIndex? Read(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            // A JSON value, but no index: the whole document is still checked, as a parse would.
            reader.Skip();
            reader.Read();
            return null;
        }

        string? format = null;
        int version = 0;
        var classes = new List<string>();
        var shards = new List<ShardIndexEntry>();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("format"u8))
            {
                format = StringValue(ref reader);
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                version = Int32Value(ref reader);
            }
            else if (reader.ValueTextEquals("classes"u8))
            {
                if (StartsArray(ref reader))
                {
                    while (NextElement(ref reader))
                    {
                        classes.Add(reader.GetString() ?? throw new InvalidOperationException("a class name is null"));
                    }
                }
            }
            else if (reader.ValueTextEquals("shards"u8))
            {
                // The index's whole content: anything but a list is refused, never read as "no shards".
                reader.Read();
                RequireArray(ref reader, "\"shards\"");
                while (NextElement(ref reader))
                {
                    shards.Add(ReadShard(ref reader));
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        // Anything after the index's object is refused, as a parse of the whole document would.
        reader.Read();
        return new ShardIndex { Format = format!, Version = version, Classes = classes, Shards = shards };
    }

    private static ShardIndexEntry ReadShard(ref Utf8JsonReader reader)
    {
        RequireObject(ref reader, "a shard");
        string name = "", sha256 = "";
        int samples = 0;
        long bytes = 0;
        List<ShardMemberEntry>? members = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                name = StringValue(ref reader)!;
            }
            else if (reader.ValueTextEquals("samples"u8))
            {
                samples = Int32Value(ref reader);
            }
            else if (reader.ValueTextEquals("bytes"u8))
            {
                bytes = Int64Value(ref reader);
            }
            else if (reader.ValueTextEquals("sha256"u8))
            {
                sha256 = StringValue(ref reader)!;
            }
            else if (reader.ValueTextEquals("members"u8))
            {
                if (StartsArray(ref reader))
                {
                    members = [];
                    while (NextElement(ref reader))
                    {
                        members.Add(ReadMember(ref reader));
                    }
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new ShardIndexEntry(name, samples, bytes, sha256, members);
    }

    private static ShardMemberEntry ReadMember(ref Utf8JsonReader reader)
    {
        RequireObject(ref reader, "a member");
        string key = "", image = "";
        string? text = null;
        int label = 0;
        long offset = 0, length = 0;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("key"u8))
            {
                key = StringValue(ref reader)!;
            }
            else if (reader.ValueTextEquals("image"u8))
            {
                image = StringValue(ref reader)!;
            }
            else if (reader.ValueTextEquals("label"u8))
            {
                label = Int32Value(ref reader);
            }
            else if (reader.ValueTextEquals("offset"u8))
            {
                offset = Int64Value(ref reader);
            }
            else if (reader.ValueTextEquals("length"u8))
            {
                length = Int64Value(ref reader);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                text = StringValue(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new ShardMemberEntry(key, image, label, offset, length) { Text = text };
    }

    /// <summary>Moves to the object's next property name; false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    /// <summary>Moves to the array's next element; false at its end.</summary>
    private static bool NextElement(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType != JsonTokenType.EndArray;

    /// <summary>Moves to a property's value; true when it is an array (its elements follow), else the value is passed over.</summary>
    private static bool StartsArray(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return true;
        }

        reader.Skip();
        return false;
    }

    /// <summary>Moves to a property's value and reads it as a string (null for a JSON null).</summary>
    private static string? StringValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.GetString();
    }

    /// <summary>Moves to a property's value and reads it as an <see cref="int"/>.</summary>
    private static int Int32Value(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.GetInt32();
    }

    /// <summary>Moves to a property's value and reads it as a <see cref="long"/>.</summary>
    private static long Int64Value(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.GetInt64();
    }

    /// <summary>Passes over a property's value, whatever it holds.</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    private static void RequireObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidOperationException($"{what} is {Kind(reader.TokenType)}, not an object");
        }
    }

    private static void RequireArray(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidOperationException($"{what} is {Kind(reader.TokenType)}, not an array");
        }
    }

    /// <summary>The kind of JSON value a token starts, in words.</summary>
    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}

/// <summary>
/// The index's JSON contract for writing, generated at build time (no reflection when packing).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ShardIndex))]
internal sealed partial class ShardIndexJson : JsonSerializerContext;
