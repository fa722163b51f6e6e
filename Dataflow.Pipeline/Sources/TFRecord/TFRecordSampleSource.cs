using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Targets;
using Google.Protobuf;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Samples from TFRecord files of <c>tf.train.Example</c> records, as tf.data and TFDS write them
/// (<c>train.tfrecord</c>, <c>mnist-train.tfrecord-00000-of-00004</c>): the encoded image in <c>image/encoded</c> (or
/// TFDS's <c>image</c>), the class index in <c>image/class/label</c> (or <c>label</c>). On local disk or in object storage.
/// </summary>
/// <remarks>
/// <para>A root posted is one file, a brace pattern in its last component, or a folder or location holding the files
/// (<c>*.tfrecord</c>, <c>*.tfrecords</c>, <c>*.tfrec</c>, and those names followed by <c>-NNNNN-of-NNNNN</c>) at its top
/// level or in its <c>data/</c> folder.</para>
/// <para>Discovery reads every file once, front to back, and builds the index of its records (offset, length, label):
/// each record's framing is checked (a uint64 length, the masked CRC-32C of the length, the data, the masked CRC-32C of
/// the data) and its Example parsed. A truncated record, a CRC that does not match, a record above
/// <see cref="TFRecordSourceOptions.MaxRecordBytes"/> or data that is not an Example fails discovery with an
/// <see cref="InvalidDataException"/> naming the file, the record's number and its offset. A record without the image
/// or the label feature is listed in <see cref="SampleSet.Ignored"/>.</para>
/// <para>Object detection: a set whose records carry the TF Object Detection API's features
/// (<c>image/object/bbox/xmin|ymin|xmax|ymax</c>, normalized; <c>image/object/class/label</c>, numbered from
/// <see cref="TFRecordSourceOptions.ObjectLabelBase"/>; <c>image/object/class/text</c> naming the classes;
/// <c>image/height</c> and <c>image/width</c>, checked) gives each record's boxes as its targets, its label the class of
/// its largest box, or <see cref="NoObjectClass"/> for a record without boxes; a malformed list fails discovery naming
/// the file, the record and the object. A gzip-compressed file is refused saying so.</para>
/// <para>A sample's read is one positional read (or ranged GET) of its record, whose CRCs are checked again; a sample's
/// id is the file followed by <c>#</c> and the record's number (<c>/data/train.tfrecord#12</c>). With
/// <see cref="ShardShufflePlanner"/> the files are the shards. The source owns the stores it opened: dispose it after
/// the run.</para>
/// </remarks>
public sealed partial class TFRecordSampleSource : ISampleSource, IDisposable
{
    private const int HeaderBytes = 12;
    private const int FooterBytes = 4;

    /// <summary>The name of the extra class of a detection set's images without boxes (the last of <see cref="SampleSet.ClassNames"/>).</summary>
    public const string NoObjectClass = "(no object)";

    private readonly TFRecordSourceOptions _options;
    private readonly List<IObjectStore> _stores = [];
    private readonly string[] _imageKeys;
    private readonly string[] _labelKeys;

    /// <summary>Creates a source.</summary>
    /// <exception cref="Pipeline.PipelineOptionsException">An option is out of range.</exception>
    public TFRecordSampleSource(TFRecordSourceOptions? options = null)
    {
        _options = options ?? new TFRecordSourceOptions();
        _options.Validate();
        _imageKeys = [.. _options.ImageFeatures];
        _labelKeys = [.. _options.LabelFeatures];
    }

    /// <summary>True when <paramref name="name"/> names a TFRecord file.</summary>
    internal static bool IsTFRecord(string name) => FileName().IsMatch(name);

    [GeneratedRegex(@"\.(tfrecords?|tfrec)(-\d+-of-\d+)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FileName();

    /// <inheritdoc />
    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException("No TFRecord location was posted to the pipeline before it was completed.");
        }

        var ignored = new List<IgnoredEntry>();
        var records = new List<(TFRecordEntry Entry, string Id, long? Label, TFExample.ObjectFields? Objects)>();
        int shard = 0;
        foreach (string root in roots)
        {
            (StorageLocation location, List<StoredObject> files, _) = await DatasetFiles.ListAsync(root, "TFRecord", "*.tfrecord, *.tfrecords, *.tfrec", IsTFRecord, _options.Storage, ignored, cancellationToken).ConfigureAwait(false);
            _stores.Add(location.Store);
            foreach (StoredObject file in files)
            {
                await ScanAsync(location.Store, file, shard++, records, ignored, cancellationToken).ConfigureAwait(false);
            }
        }

        if (records.Any(r => r.Objects is not null))
        {
            return DetectionSet(roots, records, ignored);
        }

        foreach (var (_, id, label, _) in records)
        {
            if (label is null)
            {
                ignored.Add(new IgnoredEntry(id, $"no label feature ({string.Join(", ", _labelKeys)}): not read"));
            }
            else if (label < 0)
            {
                ignored.Add(new IgnoredEntry(id, $"label {label}: no class (unlabelled)"));
            }
        }

        records.RemoveAll(r => r.Label is not >= 0);
        long largest = records.Count == 0 ? -1 : records.Max(r => r.Label!.Value);
        IReadOnlyList<string> names = _options.ClassNames ?? [.. Enumerable.Range(0, (int)Math.Min(largest + 1, 1 << 20)).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        var samples = new List<SampleInfo>(records.Count);
        foreach (var (entry, id, maybeLabel, _) in records)
        {
            long label = maybeLabel!.Value;
            if (label >= names.Count)
            {
                ignored.Add(new IgnoredEntry(id, $"label {label} is not one of the {names.Count} classes (0..{names.Count - 1})"));
                continue;
            }

            samples.Add(new SampleInfo(samples.Count, id, (int)label) { State = entry });
        }

        if (samples.Count == 0)
        {
            throw new InvalidDataException($"The TFRecord location(s) '{string.Join("', '", roots)}' hold no usable records ({ignored.Count} entries ignored{(ignored.Count > 0 ? ", first: " + ignored[0].Path + ": " + ignored[0].Reason : "")}).");
        }

        return new SampleSet(names, samples, ignored);
    }

    /// <summary>
    /// The samples of a set whose records carry the TF Object Detection API's features: each record's boxes (normalized
    /// xyxy) and classes, its label the class of its largest box; a record without them is an image without boxes.
    /// </summary>
    private SampleSet DetectionSet(IReadOnlyList<string> roots, List<(TFRecordEntry Entry, string Id, long? Label, TFExample.ObjectFields? Objects)> records, List<IgnoredEntry> ignored)
    {
        var texts = new SortedDictionary<int, (string Text, string Id)>();
        var boxes = new BoundingBoxes[records.Count];
        int largest = -1;
        for (int r = 0; r < records.Count; r++)
        {
            var (entry, id, _, objects) = records[r];
            boxes[r] = objects is null ? BoundingBoxes.Empty : BoxesOf(objects, $"The TFRecord file '{entry.Store.Describe(entry.Key)}' record {entry.Record}", texts, id);
            foreach (int c in boxes[r].Classes)
            {
                largest = Math.Max(largest, c);
            }
        }

        IReadOnlyList<string> names = _options.ClassNames
            ?? [.. Enumerable.Range(0, largest + 1).Select(c => texts.TryGetValue(c, out var text) ? text.Text : c.ToString(CultureInfo.InvariantCulture))];
        var samples = new List<SampleInfo>(records.Count);
        for (int r = 0; r < records.Count; r++)
        {
            var (entry, id, _, _) = records[r];
            ReadOnlySpan<int> classes = boxes[r].Classes;
            for (int k = 0; k < classes.Length; k++)
            {
                if (classes[k] >= names.Count)
                {
                    throw new InvalidDataException($"The TFRecord file '{entry.Store.Describe(entry.Key)}' record {entry.Record} object {k} has class/label {classes[k] + _options.ObjectLabelBase}, outside the {names.Count} classes ({_options.ObjectLabelBase}..{names.Count - 1 + _options.ObjectLabelBase} with TFRecordSourceOptions.ObjectLabelBase {_options.ObjectLabelBase}).");
                }
            }

            samples.Add(new SampleInfo(samples.Count, id, boxes[r].LargestClass(names.Count)) { State = entry, Targets = new SampleTargets { Boxes = boxes[r] } });
        }

        if (samples.Count == 0)
        {
            throw new InvalidDataException($"The TFRecord location(s) '{string.Join("', '", roots)}' hold no usable records.");
        }

        return new SampleSet([.. names, NoObjectClass], samples, ignored) { TargetSchema = new TargetSchema(TargetKinds.Boxes, names) };
    }

    /// <summary>A record's boxes from its object features, every list checked: one value per box, finite, in [0, 1], not inverted.</summary>
    private BoundingBoxes BoxesOf(TFExample.ObjectFields objects, string where, SortedDictionary<int, (string Text, string Id)> texts, string id)
    {
        double[]?[] v = objects.Values;
        for (int size = 6; size < 8; size++)
        {
            if (v[size] is { } dimension && (dimension.Length != 1 || dimension[0] <= 0))
            {
                throw new InvalidDataException($"{where} has {TFExample.ObjectFields.Keys[size]} [{string.Join(", ", dimension)}]: one size in pixels above 0.");
            }
        }

        int n = v[0]?.Length ?? 0;
        for (int f = 0; f < 5; f++)
        {
            if ((v[f]?.Length ?? 0) != n)
            {
                throw new InvalidDataException($"{where} has {n} values of {TFExample.ObjectFields.Keys[0]} and {v[f]?.Length ?? 0} of {TFExample.ObjectFields.Keys[f]}: one per box.");
            }
        }

        if (objects.Texts is { } names && names.Length != n)
        {
            throw new InvalidDataException($"{where} has {n} boxes and {names.Length} values of image/object/class/text: one per box.");
        }

        var coordinates = new float[4 * n];
        var classes = new int[n];
        for (int k = 0; k < n; k++)
        {
            for (int c = 0; c < 4; c++)
            {
                double value = v[c]![k];
                if (!(value is >= 0 and <= 1))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{where} object {k} has {TFExample.ObjectFields.Keys[c]} {value}: box coordinates are normalized to [0, 1] by the image's size."));
                }

                coordinates[4 * k + c] = (float)value;
            }

            if (coordinates[4 * k] > coordinates[4 * k + 2] || coordinates[4 * k + 1] > coordinates[4 * k + 3])
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{where} object {k} has xmin {coordinates[4 * k]}, ymin {coordinates[4 * k + 1]}, xmax {coordinates[4 * k + 2]}, ymax {coordinates[4 * k + 3]}: the box is inverted."));
            }

            double label = v[4]![k];
            if (label < _options.ObjectLabelBase || label - _options.ObjectLabelBase >= 1 << 20)
            {
                throw new InvalidDataException($"{where} object {k} has image/object/class/label {label}: classes are numbered from {_options.ObjectLabelBase} (TFRecordSourceOptions.ObjectLabelBase{(_options.ObjectLabelBase == 1 ? "; the TF Object Detection API keeps 0 for the background" : "")}).");
            }

            classes[k] = (int)(label - _options.ObjectLabelBase);
            if (objects.Texts is { } text)
            {
                if (texts.TryGetValue(classes[k], out var first) && first.Text != text[k])
                {
                    throw new InvalidDataException($"{where} object {k} has class/label {label} named '{text[k]}'; '{first.Id}' names it '{first.Text}'.");
                }

                texts.TryAdd(classes[k], (text[k], id));
            }
        }

        return n == 0 ? BoundingBoxes.Empty : new BoundingBoxes(coordinates, classes, new BoxFormat(BoxCoordinates.Xyxy, Normalized: true));
    }

    /// <inheritdoc />
    public async ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        var entry = sample.State as TFRecordEntry
            ?? throw new ArgumentException($"Sample {sample} was not discovered by a {nameof(TFRecordSampleSource)}.", nameof(sample));
        int total = HeaderBytes + entry.Length + FooterBytes;
        string name = entry.Store.Describe(entry.Key);
        PooledBuffer buffer = await ObjectReads.ReadExactAsync(entry.Store, entry.Key, entry.Offset, total, pool,
            read => new InvalidDataException($"The TFRecord file '{name}' is truncated: record {entry.Record} at offset {entry.Offset} needs {total} bytes, {read} were there."),
            cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] bytes = buffer.Array;
            string? framing = CheckFraming(bytes.AsSpan(0, HeaderBytes), out long length) ?? (length != entry.Length ? $"its length is {length}, the index says {entry.Length}" : null)
                ?? CheckData(bytes.AsSpan(HeaderBytes, entry.Length), bytes.AsSpan(HeaderBytes + entry.Length, FooterBytes));
            if (framing is not null)
            {
                throw new InvalidDataException($"The TFRecord file '{name}' record {entry.Record} at offset {entry.Offset} has changed since discovery: {framing}.");
            }

            TFExample.Fields fields = Parse(bytes, entry.Length, name, entry.Record, entry.Offset);
            if (fields.ImageStart < 0)
            {
                throw new InvalidDataException($"The TFRecord file '{name}' record {entry.Record} has no image feature ({string.Join(", ", _imageKeys)}).");
            }

            bytes.AsSpan(fields.ImageStart, fields.ImageLength).CopyTo(bytes);
            buffer.Length = fields.ImageLength;
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the stores the source opened.</summary>
    public void Dispose() => ObjectReads.DisposeAll(_stores);

    /// <summary>Reads a file front to back: every record's framing, CRCs and Example.</summary>
    private async Task ScanAsync(IObjectStore store, StoredObject file, int shard, List<(TFRecordEntry, string, long?, TFExample.ObjectFields?)> records, List<IgnoredEntry> ignored, CancellationToken cancellationToken)
    {
        string name = store.Describe(file.Key);
        Stream stream = await store.OpenReadAsync(file.Key, 0, null, cancellationToken).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                long offset = 0;
                for (int record = 0; offset < file.Size; record++)
                {
                    string where = $"The TFRecord file '{name}' record {record} at offset {offset}";
                    int got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, HeaderBytes), HeaderBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    if (got < HeaderBytes)
                    {
                        throw new InvalidDataException($"{where} is truncated: {got} of its 12 header bytes are there (the file ends at {file.Size}).");
                    }

                    string? framing = CheckFraming(buffer.AsSpan(0, HeaderBytes), out long length);
                    if (framing is not null && record == 0 && buffer[0] == 0x1F && buffer[1] == 0x8B)
                    {
                        // TFRecordOptions(compression_type="GZIP") compresses the whole file: its records cannot be read one by one.
                        throw new InvalidDataException($"The TFRecord file '{name}' is gzip-compressed (TFRecordOptions GZIP): its records cannot be read one at a time; decompress it first (gunzip).");
                    }

                    if (framing is not null)
                    {
                        throw new InvalidDataException($"{where} is damaged: {framing}.");
                    }

                    if (length > _options.MaxRecordBytes)
                    {
                        throw new InvalidDataException($"{where} is {length} bytes, above the limit of {_options.MaxRecordBytes} bytes (TFRecordSourceOptions.MaxRecordBytes).");
                    }

                    int total = HeaderBytes + (int)length + FooterBytes;
                    if (buffer.Length < total)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(total);
                    }

                    got = await stream.ReadAtLeastAsync(buffer.AsMemory(HeaderBytes, (int)length + FooterBytes), (int)length + FooterBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    if (got < length + FooterBytes)
                    {
                        throw new InvalidDataException($"{where} is truncated: it holds {length} bytes of data and a 4-byte CRC, {got} bytes are there (the file ends at {file.Size}).");
                    }

                    string? data = CheckData(buffer.AsSpan(HeaderBytes, (int)length), buffer.AsSpan(HeaderBytes + (int)length, FooterBytes));
                    if (data is not null)
                    {
                        throw new InvalidDataException($"{where} is damaged: {data}.");
                    }

                    TFExample.Fields fields = Parse(buffer, (int)length, name, record, offset, objects: true);
                    string id = name + "#" + record.ToString(CultureInfo.InvariantCulture);
                    if (fields.ImageStart < 0)
                    {
                        ignored.Add(new IgnoredEntry(id, $"no image feature ({string.Join(", ", _imageKeys)}): not read"));
                    }
                    else
                    {
                        // Whether a record without a label is passed over depends on the whole set (a detection set needs none).
                        records.Add((new TFRecordEntry(store, file.Key, shard, record, offset, (int)length), id, fields.Label, fields.Objects));
                    }

                    offset += total;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private TFExample.Fields Parse(byte[] buffer, int length, string name, int record, long offset, bool objects = false)
    {
        try
        {
            return TFExample.Parse(buffer, HeaderBytes, length, _imageKeys, _labelKeys, objects);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            throw new InvalidDataException($"The TFRecord file '{name}' record {record} at offset {offset} is not a tf.train.Example: {e.Message}.", e);
        }
    }

    /// <summary>Null when the header's length CRC matches; else why not.</summary>
    private static string? CheckFraming(ReadOnlySpan<byte> header, out long length)
    {
        ulong raw = BinaryPrimitives.ReadUInt64LittleEndian(header);
        length = raw > long.MaxValue ? long.MaxValue : (long)raw;
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        uint actual = Crc32C.Masked(header[..8]);
        return expected == actual ? null : string.Create(CultureInfo.InvariantCulture, $"the CRC of its length ({raw}) is 0x{expected:X8}, the length's bytes give 0x{actual:X8}");
    }

    /// <summary>Null when the data's CRC matches; else why not.</summary>
    private static string? CheckData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> footer)
    {
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(footer);
        uint actual = Crc32C.Masked(data);
        return expected == actual ? null : string.Create(CultureInfo.InvariantCulture, $"the CRC of its {data.Length} bytes of data is 0x{expected:X8}, the data gives 0x{actual:X8}");
    }
}

/// <summary>Where a TFRecord sample is: its file (the shard), the record's number, its offset and its data's length.</summary>
internal sealed record TFRecordEntry(IObjectStore Store, string Key, int Shard, int Record, long Offset, int Length) : IShardPosition
{
    public override string ToString() => $"{Store.Describe(Key)} record {Record} at offset {Offset}";
}
