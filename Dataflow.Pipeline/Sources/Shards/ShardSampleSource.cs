using System.Security.Cryptography;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Samples from tar shards in the WebDataset layout (as written by <see cref="ShardWriter"/>, Python's
/// <c>webdataset</c>, or <c>tar</c> of a folder of <c>key.jpg</c>/<c>key.cls</c> files), on local disk or in object
/// storage. A root posted to the pipeline is a folder or a location (<c>s3://bucket/prefix</c>,
/// <c>az://container/prefix</c>, a container's https URL) holding the shards (<c>*.tar</c>, gzip-compressed
/// <c>*.tar.gz</c> and <c>*.tgz</c>) at its top level and, optionally, their <see cref="ShardIndex"/>; or it names
/// shards: one shard file, or a brace pattern in its last component (<c>shard-{000000..000009}.tar</c>).
/// </summary>
/// <remarks>
/// <para>With an index, discovery reads no shard: it lists the location once and refuses a stale index (a shard
/// missing or of another size; with <see cref="ShardSourceOptions.VerifyHashes"/> also another SHA-256) with a
/// <see cref="StaleIndexException"/>. Without one, each shard's headers are read (on local disk by seeking over the
/// data; from object storage the shard is streamed once).</para>
/// <para>A sample's image field is the first member whose extension is an image type (<c>jpg</c>, <c>png</c>,
/// <c>webp</c>, ...); its class is the <c>class</c> field (a class name, UTF-8 text) or else the <c>cls</c> field (the
/// class index as decimal text); its text is the <c>txt</c> field, else the <c>json</c> field (UTF-8, carried untouched
/// as <see cref="Targets.SampleTargets.Text"/>, the set's <see cref="SampleSet.TargetSchema"/> then saying so); a json
/// field with <c>boxes</c> (torchvision's detection target: <c>boxes</c>, <c>labels</c>, <c>box_format</c>, <c>iscrowd</c>)
/// gives the sample's boxes, and then its class field is optional (its label is then the class of its largest box, or
/// <see cref="NoObjectClass"/>); a malformed box fails discovery naming the sample and the box. Samples
/// without an image or a class, or with a class that is not one of the
/// classes, are listed in <see cref="SampleSet.Ignored"/> with the reason, as are a key with two images or class
/// fields that disagree (both named), a member whose name leaves the shard, and every file of the location that is
/// not read (not a shard, not in the index, in a sub-folder). A shard that is not a valid tar (a corrupt header,
/// truncated data, a GNU sparse member) fails discovery with an <see cref="InvalidDataException"/> naming it; so does
/// an index that contradicts itself or a tar's structure. An image member above
/// <see cref="ShardSourceOptions.MaxMemberBytes"/> is never read: its sample is skipped, or faults the run, per the
/// error policy.</para>
/// <para>A sample's id is the shard's location followed by the member name (<c>/data/shard-000000.tar/cat/1.jpg</c>).
/// The pipeline reads an epoch through <see cref="OpenStream"/>: each shard is one ranged request from the first
/// member the epoch needs to the last, read front to back, the members read ahead of their turn held within
/// <see cref="ShardSourceOptions.MaxSamplesHeld"/> and <see cref="StorageOptions.MaxBytesInFlight"/>. An epoch whose
/// order needs more than that (the default planner's full shuffle of a large dataset), or
/// <see cref="ShardSourceOptions.Streaming"/> false, is read with one positional read (local disk) or one ranged GET
/// (object storage) per sample (<see cref="ReadAsync"/>). The source owns the stores it opened (local file handles,
/// SDK clients): dispose it after the run.</para>
/// </remarks>
public sealed class ShardSampleSource : ISampleSource, IDisposable
{
    /// <summary>The name of the extra class of a detection set's images without boxes (the last of <see cref="SampleSet.ClassNames"/>).</summary>
    public const string NoObjectClass = "(no object)";

    private readonly ShardSourceOptions _options;
    private readonly List<IObjectStore> _stores = [];
    private readonly ShardStreamCounters _counters = new();
    private int _shards;

    /// <summary>Creates a source.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public ShardSampleSource(ShardSourceOptions? options = null)
    {
        _options = options ?? new ShardSourceOptions();
        _options.Validate();
        if (_options.UseIndex)
        {
            // Discovery reads a JSON index: the reader's one-time set-up runs while the pipeline is built.
            Internal.StartupWarmup.StartJson();
        }
    }

    /// <summary>The stores opened for the roots discovered so far (for their counters, such as bytes in flight).</summary>
    public IReadOnlyList<IObjectStore> Stores => _stores;

    /// <summary>Epochs read as shard streams so far.</summary>
    public long StreamedEpochs => _counters.StreamedEpochs;

    /// <summary>Epochs read sample by sample so far (streaming off, or a plan that needs more than the bounds).</summary>
    public long PerSampleEpochs => _counters.PerSampleEpochs;

    /// <summary>Ranged requests the shard streams sent (one per shard per epoch, and one per reopening after a broken connection).</summary>
    public long ShardRequests => _counters.Requests;

    /// <summary>The most samples a shard stream held at once (read ahead of their turn, not yet handed on).</summary>
    public long PeakSamplesHeld => _counters.PeakSamples;

    /// <summary>The most bytes a shard stream held at once; never above <see cref="StorageOptions.MaxBytesInFlight"/>.</summary>
    public long PeakBytesHeld => _counters.PeakBytes;

    /// <inheritdoc />
    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException("No shard location was posted to the pipeline before it was completed.");
        }

        _shards = 0;
        var ignored = new List<IgnoredEntry>();
        var found = new List<(ShardMember Member, string Id, int? ClassIndex, string? ClassName, string? Text, string? Json)>();
        IReadOnlyList<string>? indexClasses = null;
        foreach (string root in roots)
        {
            ShardSelection selection = ShardSelection.Parse(root);
            StorageLocation location = StorageLocation.Open(selection.Location, _options.Storage);
            _stores.Add(location.Store);
            await location.Store.CheckAccessAsync(cancellationToken).ConfigureAwait(false);
            IReadOnlyList<string>? classes = await DiscoverRootAsync(location, selection, found, ignored, cancellationToken).ConfigureAwait(false);
            if (classes is not null)
            {
                if (indexClasses is not null && !indexClasses.SequenceEqual(classes, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"The shard index at '{location.Store.Describe(location.Prefix + ShardIndex.FileName)}' names other classes than an earlier root's index.");
                }

                indexClasses = classes;
            }
        }

        // A json field with boxes (ShardBoxes) makes the sample's boxes its targets; a class field is then optional.
        var boxes = new Targets.BoundingBoxes?[found.Count];
        int largestBoxClass = -1;
        for (int i = 0; i < found.Count; i++)
        {
            if (ShardBoxes.HasBoxes(found[i].Json))
            {
                boxes[i] = ShardBoxes.Parse(found[i].Json!, found[i].Id);
                foreach (int c in boxes[i]!.Classes)
                {
                    largestBoxClass = Math.Max(largestBoxClass, c);
                }
            }
        }

        bool detection = boxes.Any(b => b is not null);
        IReadOnlyList<string> classNames = _options.ClassNames ?? indexClasses ?? DeriveClassNames(found, largestBoxClass);
        // The boxes' classes: a detection set's names without the extra class of the images without boxes, when they end with it (as packed).
        IReadOnlyList<string> boxClassNames = detection && classNames.Count > 0 && classNames[^1] == NoObjectClass ? [.. classNames.Take(classNames.Count - 1)] : classNames;
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classNames.Count; i++)
        {
            byName.TryAdd(classNames[i], i);
        }

        var samples = new List<SampleInfo>(found.Count);
        bool withText = false;
        for (int i = 0; i < found.Count; i++)
        {
            var (member, id, classIndex, className, text, _) = found[i];
            ReadOnlySpan<int> boxClasses = boxes[i] is { } own ? own.Classes : default;
            for (int k = 0; k < boxClasses.Length; k++)
            {
                if (boxClasses[k] >= boxClassNames.Count)
                {
                    throw new InvalidDataException($"The sample '{id}' has box {k} of class {boxClasses[k]} in its json field, outside the {boxClassNames.Count} classes (0..{boxClassNames.Count - 1}).");
                }
            }

            int label;
            if (className is not null)
            {
                if (!byName.TryGetValue(className, out label))
                {
                    ignored.Add(new IgnoredEntry(id, $"class \"{className}\" is not one of the {classNames.Count} classes"));
                    continue;
                }
            }
            else if (classIndex is int index && (index < classNames.Count || (index == boxClassNames.Count && boxes[i] is not null)))
            {
                // In a detection set the index one past the classes is the extra class of the images without boxes (as packed).
                label = index;
            }
            else if (classIndex is null && boxes[i] is { } sampleBoxes)
            {
                // As the detection sources: the class of the largest box, or the extra class of the images without any.
                label = sampleBoxes.LargestClass(boxClassNames.Count);
            }
            else
            {
                ignored.Add(new IgnoredEntry(id, $"class index {classIndex} is not one of the {classNames.Count} classes (0..{classNames.Count - 1})"));
                continue;
            }

            withText |= text is not null;
            samples.Add(new SampleInfo(samples.Count, id, label)
            {
                State = member,
                Targets = text is null && boxes[i] is null ? null : new Targets.SampleTargets { Text = text, Boxes = detection ? boxes[i] ?? Targets.BoundingBoxes.Empty : null },
            });
        }

        if (samples.Count == 0)
        {
            throw new InvalidDataException($"The shard location(s) '{string.Join("', '", roots)}' hold no usable samples ({ignored.Count} entries ignored{(ignored.Count > 0 ? ", first: " + ignored[0].Path + ": " + ignored[0].Reason : "")}).");
        }

        // A sample's txt or json field is its text, carried beside the image untouched (Targets.Text); a json field's boxes are its boxes.
        Targets.TargetKinds kinds = (withText ? Targets.TargetKinds.Text : 0) | (detection ? Targets.TargetKinds.Boxes : 0);
        return new SampleSet(detection ? [.. boxClassNames, NoObjectClass] : classNames, samples, ignored) { TargetSchema = kinds == 0 ? null : new Targets.TargetSchema(kinds, boxClassNames) };
    }

    /// <inheritdoc />
    public async ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        var member = sample.State as ShardMember
            ?? throw new ArgumentException($"Sample {sample} was not discovered by a {nameof(ShardSampleSource)}.", nameof(sample));
        if (member.Length > _options.MaxMemberBytes)
        {
            throw TooLarge(sample, _options.MaxMemberBytes);
        }

        Func<int, Exception> truncated = read => new InvalidDataException($"The shard '{member.Store.Describe(member.ShardKey)}' is truncated: {sample.Id} needs {member.Length} bytes at offset {member.Offset}, {read} were there.");
        if (ShardFiles.IsGzip(member.ShardKey))
        {
            return await ReadGzipMemberAsync(member, pool, truncated, cancellationToken).ConfigureAwait(false);
        }

        return await ObjectReads.ReadExactAsync(member.Store, member.ShardKey, member.Offset, (int)member.Length, pool, truncated, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The reason a member above <see cref="ShardSourceOptions.MaxMemberBytes"/> is not read.</summary>
    internal static IOException TooLarge(SampleInfo sample, long maxMemberBytes) =>
        new($"The shard member '{sample.Id}' is {((ShardMember)sample.State!).Length} bytes, above the limit of {maxMemberBytes} bytes (ShardSourceOptions.MaxMemberBytes): not read.");

    /// <summary>A gzip shard has no random access: it is decompressed from its start, and what precedes the member passed over.</summary>
    private static async Task<PooledBuffer> ReadGzipMemberAsync(ShardMember member, BufferPool pool, Func<int, Exception> truncated, CancellationToken cancellationToken)
    {
        Stream stream = await ShardFiles.OpenWholeAsync(member.Store, member.ShardKey, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] skip = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                for (long left = member.Offset; left > 0;)
                {
                    int read = await stream.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, left)), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw truncated(0);
                    }

                    left -= read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(skip);
            }

            int length = (int)member.Length;
            PooledBuffer buffer = pool.Rent(length);
            try
            {
                int got = await stream.ReadAtLeastAsync(buffer.Array.AsMemory(0, length), length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                return got == length ? buffer : throw truncated(got);
            }
            catch
            {
                buffer.Dispose();
                throw;
            }
        }
    }

    /// <inheritdoc />
    /// <value>True: the pipeline reads an epoch through <see cref="OpenStream"/>, which declines (null) when streaming is off.</value>
    public bool CanStream => true;

    /// <inheritdoc />
    /// <returns>The stream, or null when streaming is off or the order would hold more than the bounds (the pipeline then
    /// reads each sample with <see cref="ReadAsync"/>).</returns>
    /// <exception cref="ArgumentException">A sample was not discovered by a <see cref="ShardSampleSource"/>.</exception>
    public ISampleReadStream? OpenStream(IReadOnlyList<SampleInfo> samples, BufferPool pool)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(pool);
        ShardStreamPlan? plan = _options.Streaming ? ShardStreamPlan.Create(samples, _options.MaxMemberBytes) : null;
        bool fits = plan is not null && plan.PeakSamples <= _options.MaxSamplesHeld && plan.PeakBytes <= _options.Storage.MaxBytesInFlight;
        _counters.Epoch(streamed: fits);
        return fits ? new ShardReadStream(plan!, pool, _options.MaxSamplesHeld, _options.Storage.MaxBytesInFlight, _counters) : null;
    }

    /// <summary>Disposes the stores opened by discovery.</summary>
    public void Dispose() => ObjectReads.DisposeAll(_stores);

    private async Task<IReadOnlyList<string>?> DiscoverRootAsync(StorageLocation location, ShardSelection selection, List<(ShardMember, string, int?, string?, string?, string?)> found, List<IgnoredEntry> ignored, CancellationToken cancellationToken)
    {
        (IObjectStore store, string prefix) = (location.Store, location.Prefix);
        var listed = new Dictionary<string, long>(StringComparer.Ordinal);
        var nested = new Dictionary<string, (int Files, int Shards)>(StringComparer.Ordinal);
        await foreach (StoredObject item in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            // Shards are read from the location's top level only: a sub-folder (train/val/) is another dataset.
            int slash = item.Key.IndexOf('/', prefix.Length);
            if (slash < 0)
            {
                listed[item.Key] = item.Size;
                continue;
            }

            string folder = item.Key[..slash];
            (int files, int shards) = nested.GetValueOrDefault(folder);
            nested[folder] = (files + 1, shards + (ShardFiles.IsShard(item.Key) ? 1 : 0));
        }

        string indexKey = prefix + ShardIndex.FileName;
        HashSet<string>? selected = null;
        if (selection.Names is not null)
        {
            // Shards named by the root (one file, or a brace pattern): only they are read, and each must exist.
            selected = new HashSet<string>(selection.Names.Select(n => prefix + n), StringComparer.Ordinal);
            var missing = selected.Where(k => !listed.ContainsKey(k)).Order(CodePointComparer.Instance).ToList();
            if (missing.Count > 0)
            {
                string named = string.Join("', '", missing.Take(5).Select(store.Describe));
                throw new FileNotFoundException(selection.Names.Count == 1
                    ? $"The shard '{named}' does not exist."
                    : $"The shard pattern '{selection.Root}' names {missing.Count} of its {selection.Names.Count} shards that do not exist: '{named}'{(missing.Count > 5 ? ", ..." : "")}.", store.Describe(missing[0]));
            }

            listed = listed.Where(p => selected.Contains(p.Key) || p.Key == indexKey).ToDictionary(StringComparer.Ordinal);
            nested.Clear();
        }

        foreach (var (folder, (files, shards)) in nested.OrderBy(p => p.Key, CodePointComparer.Instance))
        {
            ignored.Add(new IgnoredEntry(store.Describe(folder),
                $"sub-folder not read ({files} {(files == 1 ? "file" : "files")}, {shards} of them shards): shards are read from the top level of a location only; post the sub-folder as a root of its own"));
        }

        var read = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<string>? classes = await DiscoverShardsAsync(store, prefix, indexKey, listed, selected, read, found, ignored, cancellationToken).ConfigureAwait(false);
        if (selected is not null)
        {
            return classes;
        }

        bool indexRead = classes is not null;
        foreach (string key in listed.Keys.Where(k => !read.Contains(k)).Order(CodePointComparer.Instance))
        {
            string reason = key == indexKey
                ? "shard index not read (ShardSourceOptions.UseIndex is false)"
                : indexRead && ShardFiles.IsShard(key)
                    ? $"shard not listed in the index '{store.Describe(indexKey)}': not read"
                    : $"not a shard ({ShardFiles.Patterns}): not read";
            ignored.Add(new IgnoredEntry(store.Describe(key), reason));
        }

        return classes;
    }

    /// <summary>Discovers the shards of one location (from its index, or by scanning); adds each key it reads to <paramref name="read"/>.</summary>
    private async Task<IReadOnlyList<string>?> DiscoverShardsAsync(IObjectStore store, string prefix, string indexKey, Dictionary<string, long> listed,
        HashSet<string>? selected, HashSet<string> read, List<(ShardMember, string, int?, string?, string?, string?)> found, List<IgnoredEntry> ignored, CancellationToken cancellationToken)
    {
        if (_options.UseIndex && listed.ContainsKey(indexKey))
        {
            read.Add(indexKey);
            ShardIndex index;
            using (Stream stream = await store.OpenReadAsync(indexKey, 0, null, cancellationToken).ConfigureAwait(false))
            {
                index = ShardIndex.Load(stream, store.Describe(indexKey));
            }

            // With shards named by the root, the index serves those it lists; the others are scanned.
            var entries = index.Shards.Where(e => selected is null || selected.Contains(prefix + e.Name)).ToList();
            await CheckIndexAsync(store, prefix, indexKey, entries, listed, cancellationToken).ConfigureAwait(false);
            foreach (ShardIndexEntry shard in entries)
            {
                string key = prefix + shard.Name;
                read.Add(key);
                int shardOrdinal = _shards++;
                if (shard.Members is null)
                {
                    await ScanAsync(store, key, shardOrdinal, shard.Bytes, found, ignored, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                foreach (ShardMemberEntry m in shard.Members)
                {
                    found.Add((new ShardMember(store, key, shardOrdinal, m.Offset, m.Length), $"{store.Describe(key)}/{m.Key}.{m.Image}", m.Label, null, m.Text, m.Text));
                }
            }

            foreach (string key in (selected ?? []).Where(k => !read.Contains(k)).Order(CodePointComparer.Instance))
            {
                read.Add(key);
                await ScanAsync(store, key, _shards++, listed[key], found, ignored, cancellationToken).ConfigureAwait(false);
            }

            return index.Classes;
        }

        var shards = listed.Keys.Where(k => k != indexKey && (selected?.Contains(k) ?? ShardFiles.IsShard(k))).Order(CodePointComparer.Instance).ToList();
        if (shards.Count == 0)
        {
            throw new DirectoryNotFoundException($"The location '{store.Describe(prefix)}' holds no tar shards ({ShardFiles.Patterns}) and no {ShardIndex.FileName}.");
        }

        foreach (string key in shards)
        {
            read.Add(key);
            await ScanAsync(store, key, _shards++, listed[key], found, ignored, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async Task CheckIndexAsync(IObjectStore store, string prefix, string indexKey, List<ShardIndexEntry> shards, Dictionary<string, long> listed, CancellationToken cancellationToken)
    {
        var differences = new List<string>();
        foreach (ShardIndexEntry shard in shards)
        {
            string key = prefix + shard.Name;
            if (!listed.TryGetValue(key, out long size))
            {
                differences.Add($"shard '{store.Describe(key)}' is missing");
            }
            else if (size != shard.Bytes)
            {
                differences.Add($"shard '{store.Describe(key)}' is {size} bytes, the index says {shard.Bytes}");
            }
            else if (shard.Members is not null && shard.Members.Count != shard.Samples)
            {
                differences.Add($"shard '{store.Describe(key)}' lists {shard.Members.Count} members for {shard.Samples} samples");
            }
            else if (_options.VerifyHashes)
            {
                string hash;
                using (Stream stream = await store.OpenReadAsync(key, 0, null, cancellationToken).ConfigureAwait(false))
                {
                    hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
                }

                if (!string.Equals(hash, shard.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    differences.Add($"shard '{store.Describe(key)}' has SHA-256 {hash}, the index says {shard.Sha256}");
                }
            }
        }

        if (differences.Count > 0)
        {
            throw new StaleIndexException(store.Describe(indexKey), differences);
        }
    }

    private static async Task ScanAsync(IObjectStore store, string key, int shard, long size, List<(ShardMember, string, int?, string?, string?, string?)> found, List<IgnoredEntry> ignored, CancellationToken cancellationToken)
    {
        string where = store.Describe(key);
        (List<ScannedSample> samples, List<IgnoredEntry> passed) scan;
        using (Stream stream = await ShardFiles.OpenWholeAsync(store, key, cancellationToken).ConfigureAwait(false))
        {
            // A gzip shard's size is its compressed size: its members are checked against the data as it is read.
            scan = await TarShardScanner.ScanAsync(stream, ShardFiles.IsGzip(key) ? long.MaxValue : size, where, cancellationToken).ConfigureAwait(false);
        }

        if (scan.samples.Count == 0 && scan.passed.Count == 0)
        {
            ignored.Add(new IgnoredEntry(where, $"shard holds no tar members ({size} bytes): no samples"));
        }

        ignored.AddRange(scan.passed);
        foreach (ScannedSample s in scan.samples)
        {
            // A member above MaxMemberBytes is found like any other, and refused when it is read (per the error policy).
            found.Add((new ShardMember(store, key, shard, s.Offset, s.Length), $"{where}/{s.Key}.{s.ImageField}", s.ClassIndex, s.ClassName, s.Text, s.Json));
        }
    }

    private static List<string> DeriveClassNames(List<(ShardMember, string, int? ClassIndex, string? ClassName, string?, string?)> found, int largestBoxClass)
    {
        var names = found.Where(f => f.ClassName is not null).Select(f => f.ClassName!).Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToList();
        if (names.Count > 0)
        {
            return names;
        }

        int max = Math.Max(largestBoxClass, found.Select(f => f.ClassIndex ?? -1).DefaultIfEmpty(-1).Max());
        return [.. Enumerable.Range(0, max + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }
}
