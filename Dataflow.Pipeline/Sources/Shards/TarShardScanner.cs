using System.Formats.Tar;
using System.Text;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>One sample found in a shard: its key, image member and class field(s), not yet resolved to a label.</summary>
internal sealed record ScannedSample(string Key, string ImageField, long Offset, long Length, int? ClassIndex, string? ClassName, string? Text = null, string? Json = null);

/// <summary>
/// Reads a tar shard in the WebDataset layout with <see cref="TarReader"/>: members sharing a key (the member path up
/// to the first dot of its last component) form one sample; the rest of the name is the field. WebDataset writes a
/// sample's members next to each other, but <c>tar</c> of a folder without <c>--sort=name</c> stores them in directory
/// order, so members are grouped by key over the whole shard; samples keep the order of their first member.
/// Image fields are the usual image extensions; <c>cls</c> holds the class index as text, <c>class</c> the class name.
/// </summary>
internal static class TarShardScanner
{
    public static readonly HashSet<string> ImageFields = new(
        FolderSampleSource.DefaultExtensions.Select(e => e.TrimStart('.')), StringComparer.Ordinal);

    private const int MaxClassFieldBytes = 4096;

    /// <summary>The most bytes a txt or json field is read with (a caption, a sample's metadata).</summary>
    public const int MaxTextFieldBytes = 1 << 20;

    /// <summary>Scans <paramref name="stream"/> (positioned at the shard's start); <paramref name="where"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">The shard is not a valid tar file (a corrupt header, truncated data); the message names it and the byte.</exception>
    public static async Task<(List<ScannedSample> Samples, List<IgnoredEntry> Ignored)> ScanAsync(Stream stream, long size, string where, CancellationToken cancellationToken)
    {
        var samples = new List<ScannedSample>();
        var ignored = new List<IgnoredEntry>();
        var counting = stream.CanSeek ? null : new CountingStream(stream);
        var reader = new TarReader(counting ?? stream, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            var groups = new Dictionary<string, Group>(StringComparer.Ordinal);
            var order = new List<Group>();
            while (true)
            {
                TarEntry? entry;
                try
                {
                    entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or IOException
                    or OverflowException or NotSupportedException
                    && e is not (StorageException or StoreUnavailableException or FileNotFoundException))
                {
                    // Bytes that do not parse (OverflowException: a size or time field, a PAX record, out of range;
                    // NotSupportedException: a member kind the reader cannot pass over, a GNU sparse file): the shard
                    // cannot be read on. A store that failed to send them is the store's fault, thrown as it is.
                    long at = counting?.Position ?? SafePosition(stream);
                    throw new InvalidDataException($"The shard '{where}' is not a valid tar file near byte {at}: {e.Message}", e);
                }

                if (entry is null)
                {
                    break;
                }

                if (entry.EntryType is TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }

                string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (name.StartsWith('/') || name.Split('/').Contains(".."))
                {
                    // A sample's id is the shard's path and the member's name: this one would name a place outside the shard.
                    ignored.Add(new IgnoredEntry(where, $"tar member '{name}' leaves the shard (a leading '/' or a '..' component): not read"));
                    continue;
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    ignored.Add(new IgnoredEntry($"{where}/{name}", $"tar member of type {entry.EntryType}, not a regular file"));
                    continue;
                }

                int slash = name.LastIndexOf('/');
                int dot = name.IndexOf('.', slash + 1);
                if (dot < 0)
                {
                    ignored.Add(new IgnoredEntry($"{where}/{name}", "tar member name has no field extension (key.field)"));
                    continue;
                }

                string key = name[..dot];
                string field = name[(dot + 1)..].ToLowerInvariant();
                long offset = entry.DataOffset >= 0 ? entry.DataOffset : counting!.Position;
                if (offset + entry.Length > size)
                {
                    throw new InvalidDataException($"The shard '{where}' is truncated: member '{name}' needs bytes {offset} to {offset + entry.Length} but the shard has {size}.");
                }

                if (!groups.TryGetValue(key, out Group? group))
                {
                    groups[key] = group = new Group { Key = key };
                    order.Add(group);
                }

                group.Fields.Add(field);
                if (ImageFields.Contains(field))
                {
                    if (group.ImageField is null)
                    {
                        (group.ImageField, group.Offset, group.Length) = (field, offset, entry.Length);
                    }
                    else
                    {
                        // Two image members under one key (a.png twice, or a.png and a.jpg): which one is the sample
                        // cannot be told, so neither is read and both are named.
                        group.OtherImages.Add(field);
                    }
                }
                else if (field is "cls" or "class")
                {
                    string text = await ReadTextAsync(entry, where, name, cancellationToken).ConfigureAwait(false);
                    group.SetClassField(field, text);
                }
                else if (field is "txt" or "json")
                {
                    group.SetTextField(field, await ReadTextFieldAsync(entry, where, name, cancellationToken).ConfigureAwait(false));
                }
            }

            foreach (Group group in order)
            {
                group.Flush(where, samples, ignored);
            }
        }

        return (samples, ignored);
    }

    private static async Task<string> ReadTextAsync(TarEntry entry, string where, string name, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxClassFieldBytes || entry.DataStream is null)
        {
            return entry.DataStream is null ? "" : $"<{entry.Length} bytes>";
        }

        var bytes = new byte[entry.Length];
        try
        {
            await entry.DataStream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The shard '{where}' is truncated inside member '{name}'.", e);
        }

        // A byte-order mark (as Notepad writes) marks the encoding, not the text: "\uFEFF3" is class 3.
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start).Trim();
    }

    /// <summary>A txt or json member's text (UTF-8, a byte-order mark dropped), or null with the reason when it is not read.</summary>
    private static async Task<(string? Text, string? Problem)> ReadTextFieldAsync(TarEntry entry, string where, string name, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxTextFieldBytes)
        {
            return (null, $"its {name[(name.IndexOf('.', name.LastIndexOf('/') + 1) + 1)..]} field is {entry.Length} bytes, above the {MaxTextFieldBytes} bytes a text field may have");
        }

        var bytes = new byte[entry.Length];
        try
        {
            if (entry.DataStream is not null)
            {
                await entry.DataStream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The shard '{where}' is truncated inside member '{name}'.", e);
        }

        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        try
        {
            return (new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, $"its member '{name}' is not UTF-8 text");
        }
    }

    private static long SafePosition(Stream stream)
    {
        try
        {
            return stream.Position;
        }
        catch (Exception e) when (e is NotSupportedException or ObjectDisposedException)
        {
            return -1;
        }
    }

    private sealed class Group
    {
        public required string Key { get; init; }

        public List<string> Fields { get; } = [];

        public string? ImageField { get; set; }

        public long Offset { get; set; }

        public long Length { get; set; }

        public int? ClassIndex { get; private set; }

        public string? ClassName { get; private set; }

        public string? BadClass { get; private set; }

        /// <summary>The image fields after the first, in member order.</summary>
        public List<string> OtherImages { get; } = [];

        /// <summary>The txt field's text, else the json field's.</summary>
        public string? Text => Texts.GetValueOrDefault("txt") ?? Texts.GetValueOrDefault("json");

        /// <summary>Why a text field could not be read, or null.</summary>
        public string? BadText { get; private set; }

        private Dictionary<string, string> Texts { get; } = new(StringComparer.Ordinal);

        public void SetTextField(string field, (string? Text, string? Problem) read)
        {
            if (read.Problem is not null)
            {
                BadText ??= read.Problem;
                return;
            }

            if (field == "json" && !IsJson(read.Text!))
            {
                BadText ??= $"its json field is not valid JSON (\"{Shorten(read.Text!)}\")";
                return;
            }

            if (Texts.TryGetValue(field, out string? first) && first != read.Text)
            {
                BadText ??= $"it has two {field} members that disagree";
                return;
            }

            Texts[field] = read.Text!;
        }

        private static bool IsJson(string text)
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(text);
                return true;
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }

        /// <summary>The text of the first <c>cls</c> and <c>class</c> members, to compare a repeated one with.</summary>
        private Dictionary<string, string> ClassTexts { get; } = new(StringComparer.Ordinal);

        public void SetClassField(string field, string text)
        {
            if (ClassTexts.TryGetValue(field, out string? first))
            {
                if (first != text)
                {
                    BadClass ??= $"it has two {field} members that disagree, \"{Shorten(first)}\" and \"{Shorten(text)}\"";
                }

                return;
            }

            ClassTexts[field] = text;
            if (field == "class")
            {
                ClassName = text;
            }
            else if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            {
                ClassIndex = index;
            }
            else
            {
                BadClass ??= $"its cls field is \"{Shorten(text)}\", not a class index";
            }
        }

        public void Flush(string where, List<ScannedSample> samples, List<IgnoredEntry> ignored)
        {
            string fields = string.Join(", ", Fields);
            if (ImageField is null)
            {
                ignored.Add(new IgnoredEntry($"{where}/{Key}", $"sample has no image field (fields: {fields})"));
            }
            else if (OtherImages.Count > 0)
            {
                string others = string.Join("', '", OtherImages.Select(f => $"{where}/{Key}.{f}"));
                ignored.Add(new IgnoredEntry($"{where}/{Key}.{ImageField}", $"duplicate key '{Key}' in the shard '{where}': '{where}/{Key}.{ImageField}' and '{others}' are images of the same sample; neither is read"));
            }
            else if (BadClass is not null)
            {
                ignored.Add(new IgnoredEntry($"{where}/{Key}", $"sample has no usable class: {BadClass}"));
            }
            else if (BadText is not null)
            {
                ignored.Add(new IgnoredEntry($"{where}/{Key}", $"sample's text cannot be read: {BadText}"));
            }
            else if (ClassIndex is null && string.IsNullOrEmpty(ClassName) && !ShardBoxes.HasBoxes(Texts.GetValueOrDefault("json")))
            {
                ignored.Add(new IgnoredEntry($"{where}/{Key}", $"sample has no class field, cls (index) or class (name), and no boxes in a json field (fields: {fields})"));
            }
            else
            {
                samples.Add(new ScannedSample(Key, ImageField, Offset, Length, ClassIndex, string.IsNullOrEmpty(ClassName) ? null : ClassName, Text, Texts.GetValueOrDefault("json")));
            }
        }
    }

    /// <summary>The text for a message: at most 40 characters, with control and invisible format characters written as \uXXXX.</summary>
    private static string Shorten(string text)
    {
        var visible = new StringBuilder();
        foreach (char c in text.Length > 40 ? text[..40] : text)
        {
            if (char.IsControl(c) || (c != ' ' && char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.SpaceSeparator))
            {
                visible.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                visible.Append(c);
            }
        }

        return text.Length > 40 ? visible + "..." : visible.ToString();
    }

    /// <summary>Counts the bytes read from a forward-only stream, so a member's data offset is known without seeking.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _position += read;
            return read;
        }
    }
}
