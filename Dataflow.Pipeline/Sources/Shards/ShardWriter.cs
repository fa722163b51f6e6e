using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Packs class folders into tar shards in the WebDataset layout, with a <see cref="ShardIndex"/> beside them.
/// </summary>
/// <remarks>
/// The output depends only on the input files and the options: samples in class-sorted order (or shuffled from
/// <see cref="PackOptions.Seed"/>), ustar headers with a fixed time (the Unix epoch), owner 0:0, mode 0644 and no
/// user or group names, so packing the same folders twice gives the same bytes. Each sample is two members:
/// <c>{key}.{ext}</c> with the image file's bytes (ext lower-cased) and <c>{key}.cls</c> with the class index as text;
/// the key is the file's path relative to its root without the extension, dots in its last component replaced by
/// <c>_</c> (a dot would end the key), made unique with a <c>_2</c>, <c>_3</c>... suffix where two files meet.
/// </remarks>
public static class ShardWriter
{
    private const long HeaderBytes = 512;

    /// <summary>Packs the class folders under <paramref name="roots"/> into <paramref name="outputFolder"/>; returns the index written there.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or a key is too long for a ustar header (255 bytes).</exception>
    /// <exception cref="IOException">The output folder already holds shards or an index, or an image file is not a regular
    /// file or is above <see cref="PackOptions.MaxFileBytes"/> (the message names it). A pack that fails removes the
    /// shards it wrote.</exception>
    public static ShardIndex Pack(IReadOnlyList<string> roots, string outputFolder, PackOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        options ??= new PackOptions();
        options.Validate();
        return PackSet(new FolderSampleSource().Discover(roots, cancellationToken), roots, outputFolder, options, cancellationToken);
    }

    /// <summary>
    /// Packs the dataset <paramref name="source"/> reads from <paramref name="roots"/> (a COCO, YOLO or VOC folder, class
    /// folders: a source whose samples are local image files) into <paramref name="outputFolder"/>, with each sample's boxes;
    /// returns the index written there.
    /// </summary>
    /// <remarks>A sample with boxes gets a <c>{key}.json</c> member as the shard source reads it (torchvision's target:
    /// <c>boxes</c> in the format the source gave them, <c>labels</c>, <c>box_format</c>, <c>iscrowd</c>, and the boxes' other
    /// integer fields under <c>fields</c>), kept in the index as its text; its <c>.cls</c> is its per-image label, and the
    /// index's classes are the set's, the detection sources' extra class of the images without boxes last. Reading the
    /// shards gives the same labels and boxes.</remarks>
    /// <exception cref="ArgumentException">An option is invalid, a key is too long for a ustar header, or the dataset has
    /// targets that shards do not carry (masks, keypoints, multi-label sets, text): they would be lost.</exception>
    /// <exception cref="IOException">As <see cref="Pack"/>.</exception>
    public static ShardIndex PackDataset(ISampleSource source, IReadOnlyList<string> roots, string outputFolder, PackOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        options ??= new PackOptions();
        options.Validate();
        SampleSet set = source.DiscoverAsync(roots, cancellationToken).GetAwaiter().GetResult();
        if (set.TargetSchema is { } schema && (schema.Kinds & ~Targets.TargetKinds.Boxes) is Targets.TargetKinds other and not 0)
        {
            throw new ArgumentException($"The dataset at '{string.Join("', '", roots)}' has targets of kind {other}; packed shards carry boxes only, so they would be lost.", nameof(source));
        }

        return PackSet(set, roots, outputFolder, options, cancellationToken);
    }

    private static ShardIndex PackSet(SampleSet set, IReadOnlyList<string> roots, string outputFolder, PackOptions options, CancellationToken cancellationToken)
    {
        bool detection = set.TargetSchema?.Kinds.HasFlag(Targets.TargetKinds.Boxes) == true;
        var reader = new Reading.FileReader(options.MaxFileBytes);
        Directory.CreateDirectory(outputFolder);
        if (File.Exists(Path.Combine(outputFolder, ShardIndex.FileName))
            || Directory.EnumerateFiles(outputFolder, options.NamePrefix + "*.tar").Any())
        {
            throw new IOException($"The output folder '{Path.GetFullPath(outputFolder)}' already holds shards or a {ShardIndex.FileName}; pack into an empty folder.");
        }

        // What this pack wrote is removed if it fails (a bad file, a full disk, cancellation): a partial shard would
        // otherwise make the next pack into this folder refuse it.
        var written = new List<string>();
        try
        {
            int[] order = [.. Enumerable.Range(0, set.Samples.Count)];
            if (options.Shuffle)
            {
                new SampleRandom(options.Seed, Planning.RandomStreams.PackShuffle).Shuffle<int>(order);
            }

            string[] keys = Keys(set, roots);
            var shards = new List<ShardIndexEntry>();
            int next = 0;
            while (next < order.Length)
            {
                string name = $"{options.NamePrefix}{shards.Count.ToString("D6", CultureInfo.InvariantCulture)}.tar";
                string path = Path.Combine(outputFolder, name);
                var members = new List<ShardMemberEntry>();
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    written.Add(path);
                    using var writer = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true);
                    long size = 2 * HeaderBytes; // the end-of-archive blocks
                    while (next < order.Length)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        SampleInfo sample = set.Samples[order[next]];
                        // The pipeline's reader checks the file (a regular file within MaxFileBytes); its bytes are streamed.
                        using FileStream image = reader.OpenStream(sample.Id);
                        long imageBytes = image.Length;
                        byte[] label = System.Text.Encoding.ASCII.GetBytes(sample.Label.ToString(CultureInfo.InvariantCulture));
                        string? json = detection ? ShardBoxes.Write(sample.Targets?.Boxes ?? Targets.BoundingBoxes.Empty) : null;
                        byte[]? jsonBytes = json is null ? null : System.Text.Encoding.UTF8.GetBytes(json);
                        long bytes = Padded(imageBytes) + Padded(label.Length) + (jsonBytes is null ? 0 : Padded(jsonBytes.Length));
                        if (members.Count > 0 && size + bytes > options.TargetShardBytes)
                        {
                            break;
                        }

                        string key = keys[order[next]];
                        string field = Path.GetExtension(sample.Id).TrimStart('.').ToLowerInvariant();
                        long offset = file.Position + HeaderBytes;
                        Write(writer, $"{key}.{field}", image, sample.Id);
                        if (image.Position != imageBytes)
                        {
                            throw new IOException($"The file '{sample.Id}' changed while it was packed ({imageBytes} bytes, then {image.Position}).");
                        }

                        Write(writer, $"{key}.cls", new MemoryStream(label, writable: false), sample.Id);
                        if (jsonBytes is not null)
                        {
                            Write(writer, $"{key}.json", new MemoryStream(jsonBytes, writable: false), sample.Id);
                        }

                        members.Add(new ShardMemberEntry(key, field, sample.Label, offset, imageBytes) { Text = json });
                        size += bytes;
                        next++;
                    }
                }

                long length = new FileInfo(path).Length;
                string hash;
                using (var read = File.OpenRead(path))
                {
                    hash = Convert.ToHexStringLower(SHA256.HashData(read));
                }

                shards.Add(new ShardIndexEntry(name, members.Count, length, hash, members));
            }

            var index = new ShardIndex { Classes = [.. set.ClassNames], Shards = shards };
            using (var stream = new FileStream(Path.Combine(outputFolder, ShardIndex.FileName), FileMode.CreateNew, FileAccess.Write))
            {
                written.Add(Path.Combine(outputFolder, ShardIndex.FileName));
                index.Save(stream);
            }

            return index;
        }
        catch
        {
            foreach (string path in written)
            {
                TryDelete(path);
            }

            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The pack's own error is the one to report.
        }
    }

    private static long Padded(long length) => HeaderBytes + ((length + HeaderBytes - 1) / HeaderBytes * HeaderBytes);

    private static void Write(TarWriter writer, string name, Stream data, string source)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = DateTimeOffset.UnixEpoch,
            Uid = 0,
            Gid = 0,
            UserName = "",
            GroupName = "",
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            DataStream = data,
        };
        try
        {
            writer.WriteEntry(entry);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The member name '{name}' for '{source}' does not fit a ustar header (at most 255 bytes, split at a '/'): {e.Message}", nameof(source), e);
        }
    }

    private static string[] Keys(SampleSet set, IReadOnlyList<string> roots)
    {
        string[] fullRoots = [.. roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)))];
        var keys = new string[set.Samples.Count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (SampleInfo sample in set.Samples)
        {
            string root = fullRoots.Where(r => sample.Id.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal)).MaxBy(r => r.Length) ?? Path.GetDirectoryName(sample.Id)!;
            string relative = Path.GetRelativePath(root, sample.Id).Replace(Path.DirectorySeparatorChar, '/');
            int slash = relative.LastIndexOf('/');
            string stem = Path.GetFileNameWithoutExtension(relative[(slash + 1)..]).Replace('.', '_');
            string key = relative[..(slash + 1)] + (stem.Length == 0 ? "_" : stem);
            string unique = key;
            for (int n = 2; !used.Add(unique); n++)
            {
                unique = $"{key}_{n}";
            }

            keys[sample.Index] = unique;
        }

        return keys;
    }
}
