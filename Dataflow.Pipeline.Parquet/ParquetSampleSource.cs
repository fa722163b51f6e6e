using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Targets;
using ParquetSharp;
using ParquetSharp.IO;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Samples from Parquet files in the Hugging Face layout (<c>data/train-00000-of-00004.parquet</c>, ...): one row per
/// sample, an <c>image</c> struct <c>{bytes, path}</c> and an integer <c>label</c> whose class names are the
/// <c>ClassLabel</c>'s names in the files' <c>huggingface</c> metadata. On local disk or in object storage.
/// </summary>
/// <remarks>
/// <para>A root posted is one <c>.parquet</c> file, a brace pattern in its last component
/// (<c>train-{00000..00003}-of-00004.parquet</c>), or a folder or location holding the files at its top level or in its
/// <c>data/</c> folder. Files named <c>{split}-NNNNN-of-NNNNN.parquet</c> are grouped by split: with
/// <see cref="ParquetSourceOptions.Split"/> only that split is read; without it a location holding several splits is
/// refused (naming them), and a split missing one of its numbered files is refused naming the missing ones.</para>
/// <para>Discovery reads each file's footer and its label column (never its images): a file that is not Parquet, lacks
/// the image or label column, holds them with other types, or whose metadata names classes other than another file's
/// fails with an <see cref="InvalidDataException"/> naming the file (and the row, for a label outside the classes). A
/// row without a label (null, or -1 as Hugging Face writes for unlabelled rows) is listed in
/// <see cref="SampleSet.Ignored"/>.</para>
/// <para>Object detection: a file with the column <see cref="ParquetSourceOptions.ObjectsColumn"/> (<c>objects</c>: a
/// struct of lists <c>{bbox, category, id, iscrowd, area}</c> or a list of such structs, as the Hugging Face detection
/// sets have it) is read as a detection set: each row's boxes (in <see cref="ParquetSourceOptions.ObjectsBoxFormat"/>,
/// COCO's xywh pixels by default) and classes (the <c>category</c> <c>ClassLabel</c>'s names) are its targets, its label
/// the class of its largest box, or <see cref="NoObjectClass"/> for a row without boxes. A malformed box or category
/// fails discovery naming the file, the row and the object.</para>
/// <para>The row group is the unit that is read: a sample's read reads its row group's image column (one ranged read
/// from object storage), and the row group's other images are held, each until its own read takes it, within
/// <see cref="ParquetSourceOptions.RowGroupCacheBytes"/>. Read with <see cref="ShardShufflePlanner"/> (row groups as
/// shards), each row group is read once per epoch; a full shuffle reads one row group per sample. A sample's id is the
/// file followed by <c>#</c> and the row's index in the file (<c>/data/train-00000-of-00004.parquet#17</c>); an image
/// cell that is null fails that sample naming the file and the row; a corrupt page, the samples of its row group.</para>
/// <para>Read with Apache Arrow's C++ reader (ParquetSharp): every encoding and compression that Arrow, DuckDB and
/// Spark write. The source owns the stores it opened: dispose it after the run.</para>
/// </remarks>
public sealed partial class ParquetSampleSource : ISampleSource, IDisposable
{
    /// <summary>The name of the extra class of a detection set's images without boxes (the last of <see cref="SampleSet.ClassNames"/>).</summary>
    public const string NoObjectClass = "(no object)";

    /// <summary>The footer's trailing magic.</summary>
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private readonly ParquetSourceOptions _options;
    private readonly List<IObjectStore> _stores = [];
    private readonly RowGroupCache _cache;

    /// <summary>Creates a source.</summary>
    /// <exception cref="Pipeline.PipelineOptionsException">An option is out of range.</exception>
    public ParquetSampleSource(ParquetSourceOptions? options = null)
    {
        _options = options ?? new ParquetSourceOptions();
        _options.Validate();
        _cache = new RowGroupCache(_options.RowGroupCacheBytes);
    }

    /// <summary>Row groups read so far (a row group served from memory again is not counted).</summary>
    public long RowGroupsRead => _cache.Loads;

    /// <summary>Bytes of image column chunks read so far (footers and labels are read at discovery).</summary>
    public long BytesRead => _cache.BytesRead;

    /// <summary>True when <paramref name="name"/> names a Parquet file.</summary>
    internal static bool IsParquet(string name) => ParquetSourceOptions.IsParquet(name);

    /// <inheritdoc />
    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException("No Parquet location was posted to the pipeline before it was completed.");
        }

        var ignored = new List<IgnoredEntry>();
        var files = new List<ParquetFile>();
        foreach (string root in roots)
        {
            (StorageLocation location, List<StoredObject> listed, bool named) = await DatasetFiles.ListAsync(root, "Parquet", "*.parquet", IsParquet, _options.Storage, ignored, cancellationToken).ConfigureAwait(false);
            _stores.Add(location.Store);
            foreach (StoredObject file in SelectSplit(location.Store, listed, named, ignored))
            {
                files.Add(await OpenAsync(location.Store, file, cancellationToken).ConfigureAwait(false));
            }
        }

        IReadOnlyList<string>? names = _options.ClassNames;
        ParquetFile? namedBy = null;
        foreach (ParquetFile file in files)
        {
            if (file.ClassNames is null || _options.ClassNames is not null)
            {
                continue;
            }

            if (names is not null && !names.SequenceEqual(file.ClassNames, StringComparer.Ordinal))
            {
                throw new InvalidDataException($"The Parquet file '{file.Name}' names other classes ({Quote(file.ClassNames)}) than '{namedBy!.Name}' ({Quote(names)}) in its huggingface metadata.");
            }

            names = file.ClassNames;
            namedBy = file;
        }

        if (files.FirstOrDefault(f => f.Boxes is not null) is ParquetFile detection && files.FirstOrDefault(f => f.Boxes is null) is ParquetFile classification)
        {
            throw new InvalidDataException($"The Parquet file '{detection.Name}' has an objects column '{_options.ObjectsColumn}' (a detection set) and '{classification.Name}' has none (ParquetSourceOptions.ObjectsColumn): one dataset is one or the other.");
        }

        if (files.Count > 0 && files[0].Boxes is not null)
        {
            return DetectionSet(files, names, ignored);
        }

        int largest = files.Count == 0 ? -1 : files.Max(f => f.LargestLabel);
        names ??= [.. Enumerable.Range(0, largest + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var samples = new ParquetSamples();
        foreach (ParquetFile file in files)
        {
            long row = 0;
            for (int group = 0; group < file.RowGroups.Length; group++)
            {
                int shard = samples.AddGroup(file, group);
                int[] labels = file.Labels[group];
                for (int i = 0; i < labels.Length; i++, row++)
                {
                    if (labels[i] < 0)
                    {
                        string id = file.Name + "#" + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        ignored.Add(new IgnoredEntry(id, labels[i] == int.MinValue ? $"no label (the column '{_options.LabelColumn}' is null)" : $"label {labels[i]}: no class (unlabelled)"));
                        continue;
                    }

                    if (labels[i] >= names.Count)
                    {
                        throw new InvalidDataException($"The Parquet file '{file.Name}' row {row} has label {labels[i]}, outside the {names.Count} classes (0..{names.Count - 1}).");
                    }

                    samples.Add(shard, i, labels[i]);
                }
            }

            file.Labels = [];
        }

        samples.TrimExcess();
        if (samples.Count == 0)
        {
            throw new InvalidDataException($"The Parquet location(s) '{string.Join("', '", roots)}' hold no labelled rows ({ignored.Count} entries ignored{(ignored.Count > 0 ? ", first: " + ignored[0].Path + ": " + ignored[0].Reason : "")}).");
        }

        // Labels were checked above and indices are positions: the set need not make every sample to check them.
        return new SampleSet(names, samples, ignored);
    }

    /// <summary>The samples of files with an objects column: each row's boxes its targets, its label the class of its largest box.</summary>
    private static SampleSet DetectionSet(List<ParquetFile> files, IReadOnlyList<string>? names, List<IgnoredEntry> ignored)
    {
        int largest = -1;
        foreach (BoundingBoxes boxes in files.SelectMany(f => f.Boxes!).SelectMany(g => g))
        {
            foreach (int c in boxes.Classes)
            {
                largest = Math.Max(largest, c);
            }
        }

        names ??= [.. Enumerable.Range(0, largest + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var samples = new List<SampleInfo>();
        int shard = 0;
        foreach (ParquetFile file in files)
        {
            long row = 0;
            for (int group = 0; group < file.RowGroups.Length; group++, shard++)
            {
                BoundingBoxes[] boxes = file.Boxes![group];
                for (int i = 0; i < boxes.Length; i++, row++)
                {
                    ReadOnlySpan<int> classes = boxes[i].Classes;
                    for (int k = 0; k < classes.Length; k++)
                    {
                        if (classes[k] >= names.Count)
                        {
                            throw new InvalidDataException($"The Parquet file '{file.Name}' row {row} object {k} has category {classes[k]}, outside the {names.Count} classes (0..{names.Count - 1}).");
                        }
                    }

                    string id = file.Name + "#" + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    samples.Add(new SampleInfo(samples.Count, id, boxes[i].LargestClass(names.Count))
                    {
                        State = new ParquetRow(file, group, i, shard),
                        Targets = new SampleTargets { Boxes = boxes[i] },
                    });
                }
            }

            file.Labels = [];
            file.Boxes = [];
        }

        if (samples.Count == 0)
        {
            throw new InvalidDataException($"The Parquet files '{string.Join("', '", files.Select(f => f.Name))}' hold no rows.");
        }

        return new SampleSet([.. names, NoObjectClass], samples, ignored) { TargetSchema = new TargetSchema(TargetKinds.Boxes, names) };
    }

    /// <inheritdoc />
    public async ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        var row = sample.State as ParquetRow
            ?? throw new ArgumentException($"Sample {sample} was not discovered by a {nameof(ParquetSampleSource)}.", nameof(sample));
        (byte[] bytes, int length) = await _cache.TakeAsync(row.File, row.RowGroup, row.Row, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"The Parquet file '{row.File.Name}' row {row.File.FirstRow[row.RowGroup] + row.Row} has no image bytes (the column '{_options.ImageColumn}' is null there).");
        try
        {
            PooledBuffer buffer = pool.Rent(length);
            bytes.AsSpan(0, length).CopyTo(buffer.Array);
            buffer.Length = length;
            return buffer;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Disposes the stores the source opened.</summary>
    public void Dispose() => ObjectReads.DisposeAll(_stores);

    [GeneratedRegex(@"^(?<split>.+?)-(?<n>\d{5})-of-(?<m>\d{5})(-[0-9a-f]+)?\.parquet$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SplitFileName();

    /// <summary>The files of the split to read; a location of several splits without <see cref="ParquetSourceOptions.Split"/>, or one missing a file of its split, is refused.</summary>
    private List<StoredObject> SelectSplit(IObjectStore store, List<StoredObject> listed, bool named, List<IgnoredEntry> ignored)
    {
        var bySplit = new SortedDictionary<string, List<(StoredObject File, int N, int M)>>(StringComparer.Ordinal);
        var unnamed = new List<StoredObject>();
        foreach (StoredObject file in listed)
        {
            Match match = SplitFileName().Match(file.Key[(file.Key.LastIndexOf('/') + 1)..]);
            if (!match.Success)
            {
                unnamed.Add(file);
                continue;
            }

            string split = match.Groups["split"].Value;
            if (!bySplit.TryGetValue(split, out var list))
            {
                bySplit[split] = list = [];
            }

            list.Add((file, int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups["m"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        string where = store.Describe(listed.Count > 0 ? listed[0].Key[..(listed[0].Key.LastIndexOf('/') + 1)] : "");
        if (_options.Split is null && bySplit.Count > 1)
        {
            throw new InvalidDataException($"The Parquet location '{where}' holds the splits '{string.Join("', '", bySplit.Keys)}': set ParquetSourceOptions.Split to one of them.");
        }

        List<(StoredObject File, int N, int M)> chosen;
        if (_options.Split is null)
        {
            chosen = bySplit.Values.FirstOrDefault() ?? [];
        }
        else if (!bySplit.TryGetValue(_options.Split, out chosen!))
        {
            throw new InvalidDataException($"The Parquet location '{where}' holds no file of the split '{_options.Split}' (ParquetSourceOptions.Split); its splits: '{string.Join("', '", bySplit.Keys)}'{(unnamed.Count > 0 ? $", and {unnamed.Count} files not named {{split}}-NNNNN-of-NNNNN.parquet" : "")}.");
        }
        else
        {
            foreach (var other in bySplit.Where(p => p.Key != _options.Split).SelectMany(p => p.Value).Select(f => f.File).Concat(unnamed))
            {
                ignored.Add(new IgnoredEntry(store.Describe(other.Key), $"not of the split '{_options.Split}' (ParquetSourceOptions.Split): not read"));
            }

            unnamed = [];
        }

        if (chosen.Count > 0)
        {
            int total = chosen[0].M;
            if (chosen.Any(f => f.M != total))
            {
                throw new InvalidDataException($"The Parquet files of the split '{SplitFileName().Match(chosen[0].File.Key[(chosen[0].File.Key.LastIndexOf('/') + 1)..]).Groups["split"].Value}' at '{where}' disagree on how many files the split has ({string.Join(", ", chosen.Select(f => f.M).Distinct())}).");
            }

            var missing = Enumerable.Range(0, total).Except(chosen.Select(f => f.N)).ToList();
            // A root that names files (one, or a pattern) reads those; a location must hold its split whole.
            if (missing.Count > 0 && !named)
            {
                throw new InvalidDataException($"The Parquet split at '{where}' has {chosen.Count} of its {total} files: numbers {string.Join(", ", missing.Take(10).Select(n => n.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)))}{(missing.Count > 10 ? ", ..." : "")} are missing.");
            }
        }

        return [.. chosen.Select(f => f.File).Concat(unnamed).OrderBy(f => f.Key, CodePointComparer.Instance)];
    }

    /// <summary>Reads a file's footer and its labels, and checks its schema.</summary>
    private async Task<ParquetFile> OpenAsync(IObjectStore store, StoredObject file, CancellationToken cancellationToken)
    {
        string name = store.Describe(file.Key);
        if (file.Size < 12)
        {
            throw new InvalidDataException($"The file '{name}' is not a Parquet file: {file.Size} bytes, too short for a Parquet footer.");
        }

        byte[] end = new byte[(int)Math.Min(file.Size, 64 * 1024)];
        await ReadExactAsync(store, file.Key, file.Size - end.Length, end, name, cancellationToken).ConfigureAwait(false);
        if (!end.AsSpan(end.Length - 4).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"The file '{name}' is not a Parquet file: it does not end with the Parquet magic \"PAR1\".");
        }

        long footer = BinaryPrimitives.ReadUInt32LittleEndian(end.AsSpan(end.Length - 8)) + 8L;
        if (footer > file.Size - 4)
        {
            throw new InvalidDataException($"The Parquet file '{name}' is damaged: its footer claims {footer - 8} bytes, the file has {file.Size}.");
        }

        byte[] tail = end;
        if (footer > end.Length)
        {
            tail = new byte[footer];
            await ReadExactAsync(store, file.Key, file.Size - footer, tail, name, cancellationToken).ConfigureAwait(false);
        }

        var parquet = new ParquetFile(store, file.Key, name, file.Size, tail);
        try
        {
            using var stream = parquet.OpenStream();
            using var reader = OpenReader(parquet, stream);
            ReadSchemaAndLabels(parquet, reader);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"The Parquet file '{name}' cannot be read: {e.Message}", e);
        }

        return parquet;
    }

    private static async Task ReadExactAsync(IObjectStore store, string key, long offset, byte[] into, string name, CancellationToken cancellationToken)
    {
        int read = await ObjectReads.ReadAsync(store, key, offset, into, cancellationToken).ConfigureAwait(false);
        if (read != into.Length)
        {
            throw new InvalidDataException($"The Parquet file '{name}' is truncated: {into.Length} bytes at offset {offset} were expected, {read} were there.");
        }
    }

    /// <summary>
    /// Opens Arrow's reader over the file: on local disk by its path (Arrow's own positional reads, no managed copy),
    /// elsewhere over <paramref name="stream"/> (the footer from memory, each column chunk one ranged read).
    /// </summary>
    internal static ParquetFileReader OpenReader(ParquetFile file, StoreFileStream stream)
    {
        // The system allocator: freed page buffers go back to the OS instead of staying in an arena per thread.
        using var properties = ReaderProperties.WithMemoryPool(MemoryPool.SystemMemoryPool());
        // A page that carries a CRC is checked (pyarrow and DuckDB may write them); a corrupt page then fails by name.
        properties.EnablePageChecksumVerification();
        if (file.Store is LocalObjectStore)
        {
            // Arrow reads a column chunk whole into memory before its first page unless buffered: a row group of large
            // images would be held twice (compressed, and as the rows handed out). From local disk, reads of 1 MiB cost
            // nothing; from object storage the chunk stays one ranged read.
            properties.EnableBufferedStream();
            properties.BufferSize = 1L << 20;
        }

        return file.Store is LocalObjectStore
            ? new ParquetFileReader(file.Name, properties)
            : new ParquetFileReader(new ManagedRandomAccessFile(stream, leaveOpen: true), properties);
    }

    /// <summary>Arrow's record-batch reader over the file (for its nested objects column), as <see cref="OpenReader"/> opens the column reader.</summary>
    private static ParquetSharp.Arrow.FileReader OpenArrowReader(ParquetFile file)
    {
        using var properties = ReaderProperties.WithMemoryPool(MemoryPool.SystemMemoryPool());
        properties.EnablePageChecksumVerification();
        return file.Store is LocalObjectStore
            ? new ParquetSharp.Arrow.FileReader(file.Name, properties)
            : new ParquetSharp.Arrow.FileReader(file.OpenStream(), properties, leaveOpen: false);
    }

    private void ReadSchemaAndLabels(ParquetFile file, ParquetFileReader reader)
    {
        using FileMetaData metadata = reader.FileMetaData;
        SchemaDescriptor schema = metadata.Schema;
        string[] columns = [.. Enumerable.Range(0, schema.NumColumns).Select(i => schema.Column(i).Path.ToDotString())];
        string image = _options.ImageColumn, label = _options.LabelColumn;
        int imageColumn = Array.IndexOf(columns, image + ".bytes");
        if (imageColumn < 0)
        {
            imageColumn = Array.IndexOf(columns, image);
        }

        int[] objectLeaves = ParquetObjects.Leaves(schema, _options.ObjectsColumn);
        // A detection set (an objects column) has its classes in its objects: its label column is not read.
        int labelColumn = objectLeaves.Length > 0 ? -2 : Array.IndexOf(columns, label);
        if (imageColumn < 0 || labelColumn == -1)
        {
            string what = imageColumn < 0 && labelColumn == -1 ? $"columns '{image}' and '{label}'" : imageColumn < 0 ? $"image column '{image}' (a struct {{bytes, path}}, or binary)" : $"label column '{label}'";
            throw new InvalidDataException($"The Parquet file '{file.Name}' has no {what} (ParquetSourceOptions.{(imageColumn < 0 ? "ImageColumn" : "LabelColumn")}); its columns: {string.Join(", ", columns)}.");
        }

        {
            ColumnDescriptor imageDescriptor = schema.Column(imageColumn);
            if (imageDescriptor.PhysicalType != PhysicalType.ByteArray || imageDescriptor.MaxRepetitionLevel != 0)
            {
                throw new InvalidDataException($"The Parquet file '{file.Name}' holds its image column '{columns[imageColumn]}' as {Describe(imageDescriptor)}, not as one binary value per row.");
            }

            file.ImageMaxDefinition = imageDescriptor.MaxDefinitionLevel;
        }

        if (labelColumn >= 0)
        {
            ColumnDescriptor labelDescriptor = schema.Column(labelColumn);
            if (labelDescriptor.PhysicalType is not (PhysicalType.Int32 or PhysicalType.Int64) || labelDescriptor.MaxRepetitionLevel != 0)
            {
                throw new InvalidDataException($"The Parquet file '{file.Name}' holds its label column '{label}' as {Describe(labelDescriptor)}, not as one integer per row.");
            }
        }

        file.ImageColumn = imageColumn;
        file.ClassNames = ClassNamesOf(file, metadata.KeyValueMetadata, objectLeaves.Length > 0);
        int groups = metadata.NumRowGroups;
        file.RowGroups = new int[groups];
        file.FirstRow = new long[groups];
        file.Labels = new int[groups][];
        file.Boxes = objectLeaves.Length > 0 ? new BoundingBoxes[groups][] : null;
        using ParquetSharp.Arrow.FileReader? arrow = objectLeaves.Length > 0 ? OpenArrowReader(file) : null;
        long first = 0;
        for (int g = 0; g < groups; g++)
        {
            using RowGroupReader group = reader.RowGroup(g);
            RowGroupMetaData groupMetadata = group.MetaData;
            long rows = groupMetadata.NumRows;
            using (ColumnChunkMetaData chunk = groupMetadata.GetColumnChunkMetaData(imageColumn))
            {
                if (chunk.TotalUncompressedSize > _options.MaxRowGroupBytes)
                {
                    throw new InvalidDataException($"The Parquet file '{file.Name}' row group {g} holds {chunk.TotalUncompressedSize} bytes of images, above the limit of {_options.MaxRowGroupBytes} bytes (ParquetSourceOptions.MaxRowGroupBytes): a row group is read and held whole.");
                }
            }

            file.RowGroups[g] = checked((int)rows);
            file.FirstRow[g] = first;
            if (file.Boxes is not null)
            {
                file.Boxes[g] = ParquetObjects.Read(arrow!, g, objectLeaves, _options.ObjectsColumn, file.Name, first, _options.ObjectsBoxFormat, (int)rows);
                file.Labels[g] = new int[rows];
            }
            else
            {
                file.Labels[g] = ReadLabels(file, group, labelColumn, g, (int)rows, first);
            }

            first += rows;
        }
    }

    private static string Describe(ColumnDescriptor column) =>
        column.MaxRepetitionLevel > 0 ? $"a repeated {column.PhysicalType}" : column.PhysicalType.ToString();

    /// <summary>The row group's labels: int.MinValue for a null, the value otherwise (negative values are unlabelled rows).</summary>
    private int[] ReadLabels(ParquetFile file, RowGroupReader group, int column, int g, int rows, long first)
    {
        var labels = new int[rows];
        var definitions = new short[Math.Min(rows, 4096)];
        var repetitions = new short[definitions.Length];
        using ColumnReader reader = group.Column(column);
        short maxDefinition = reader.ColumnDescriptor.MaxDefinitionLevel;
        int done = 0;
        if (reader is ColumnReader<int> ints)
        {
            var values = new int[definitions.Length];
            while (done < rows && ints.HasNext)
            {
                long levels = ints.ReadBatch(Math.Min(definitions.Length, rows - done), definitions, repetitions, values, out long valuesRead);
                Spread(values, valuesRead, definitions, levels, maxDefinition, labels, ref done, v => v);
            }
        }
        else
        {
            var longs = (ColumnReader<long>)reader;
            var values = new long[definitions.Length];
            while (done < rows && longs.HasNext)
            {
                long levels = longs.ReadBatch(Math.Min(definitions.Length, rows - done), definitions, repetitions, values, out long valuesRead);
                Spread(values, valuesRead, definitions, levels, maxDefinition, labels, ref done,
                    v => v is >= int.MinValue + 1 and <= int.MaxValue ? (int)v : throw new InvalidDataException($"The Parquet file '{file.Name}' has label {v} in row group {g}: not a class index."));
            }
        }

        if (done != rows)
        {
            throw new InvalidDataException($"The Parquet file '{file.Name}' row group {g} has {done} labels for its {rows} rows (from row {first}).");
        }

        return labels;
    }

    private static void Spread<T>(T[] values, long valuesRead, short[] definitions, long levels, short maxDefinition, int[] labels, ref int done, Func<T, int> convert)
    {
        int value = 0;
        for (int i = 0; i < levels; i++)
        {
            labels[done++] = maxDefinition == 0 || definitions[i] == maxDefinition ? convert(values[value++]) : int.MinValue;
        }

        if (value != valuesRead)
        {
            throw new InvalidDataException($"A label column's levels and values disagree ({value} defined, {valuesRead} read).");
        }
    }

    /// <summary>The label's <c>ClassLabel</c> names from the <c>huggingface</c> metadata, or null when it has none.</summary>
    private IReadOnlyList<string>? ClassNamesOf(ParquetFile file, IReadOnlyDictionary<string, string> metadata, bool objects)
    {
        if (!metadata.TryGetValue("huggingface", out string? json))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (!root.TryGetProperty("info", out JsonElement info) || !info.TryGetProperty("features", out JsonElement features) || features.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (features.TryGetProperty(_options.ImageColumn, out JsonElement imageFeature) && imageFeature.ValueKind == JsonValueKind.Object
                && imageFeature.TryGetProperty("_type", out JsonElement imageType) && imageType.GetString() is string type && type != "Image")
            {
                throw new InvalidDataException($"The Parquet file '{file.Name}' declares its column '{_options.ImageColumn}' as a {type} in its huggingface metadata, not an Image.");
            }

            if (objects)
            {
                IReadOnlyList<string>? categories = ParquetObjects.ClassNames(features, _options.ObjectsColumn, file.Name);
                if (categories is not null && categories.Distinct(StringComparer.Ordinal).Count() != categories.Count)
                {
                    throw new InvalidDataException($"The Parquet file '{file.Name}' lists a class name twice in its huggingface metadata ({Quote(categories)}).");
                }

                return categories;
            }

            if (!features.TryGetProperty(_options.LabelColumn, out JsonElement labelFeature) || labelFeature.ValueKind != JsonValueKind.Object
                || !labelFeature.TryGetProperty("_type", out JsonElement labelType) || labelType.GetString() != "ClassLabel"
                || !labelFeature.TryGetProperty("names", out JsonElement names) || names.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var list = new List<string>(names.GetArrayLength());
            foreach (JsonElement item in names.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new InvalidDataException($"The Parquet file '{file.Name}' lists a class name that is not a string ({item.GetRawText()}) in its huggingface metadata."));
            }

            if (list.Distinct(StringComparer.Ordinal).Count() != list.Count)
            {
                throw new InvalidDataException($"The Parquet file '{file.Name}' lists a class name twice in its huggingface metadata ({Quote(list)}).");
            }

            return list.Count > 0 ? list : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The Parquet file '{file.Name}' has huggingface metadata that is not valid JSON: {e.Message}", e);
        }
    }

    private static string Quote(IReadOnlyList<string> names) =>
        "\"" + string.Join("\", \"", names.Take(10)) + "\"" + (names.Count > 10 ? $", ... {names.Count} in all" : "");
}
