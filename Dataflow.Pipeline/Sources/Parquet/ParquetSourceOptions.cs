using Dataflow.Pipeline.Internal;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Pipeline.Sources;

/// <summary>Options of a <c>ParquetSampleSource</c> (the Dataflow.Pipeline.Parquet package).</summary>
public sealed class ParquetSourceOptions
{
    /// <summary>How object storage is reached (local folders ignore it).</summary>
    public StorageOptions Storage { get; init; } = StorageOptions.Default;

    /// <summary>
    /// The column that holds each row's encoded image: a struct <c>{bytes, path}</c> (the Hugging Face <c>Image</c>
    /// feature; its <c>bytes</c> are read) or a plain binary column.
    /// </summary>
    /// <value><c>"image"</c>.</value>
    public string ImageColumn { get; init; } = "image";

    /// <summary>The column that holds each row's class index (an integer; a Hugging Face <c>ClassLabel</c>).</summary>
    /// <value><c>"label"</c>.</value>
    public string LabelColumn { get; init; } = "label";

    /// <summary>
    /// The column of each row's objects in the Hugging Face detection layout (cppe-5, detection-datasets/coco): a struct of
    /// lists <c>{bbox: list of [4], category: list of ClassLabel, area, id, iscrowd}</c> (a <c>Sequence</c> of a dict, as
    /// <c>datasets</c> writes it) or a list of such structs. A file that has this column is read as a detection set: each
    /// row's boxes and classes are its targets, and <see cref="LabelColumn"/> is not read.
    /// </summary>
    /// <value><c>"objects"</c>.</value>
    public string ObjectsColumn { get; init; } = "objects";

    /// <summary>The format of the <c>bbox</c> numbers of <see cref="ObjectsColumn"/>.</summary>
    /// <value><see cref="BoxFormat.Xywh"/> in pixels: left, top, width, height, as COCO and the Hugging Face detection datasets write them.</value>
    public BoxFormat ObjectsBoxFormat { get; init; } = BoxFormat.Xywh;

    /// <summary>
    /// The split to read where the files are named as Hugging Face names them (<c>{split}-NNNNN-of-NNNNN.parquet</c>):
    /// only that split's files are read. Null reads every file, and refuses a location that holds several splits.
    /// </summary>
    /// <value>null.</value>
    public string? Split { get; init; }

    /// <summary>
    /// The class names, indexed by label; null to take them from the files' <c>huggingface</c> metadata (the
    /// <c>ClassLabel</c>'s names), or else <c>"0"</c>..<c>"N-1"</c> for the largest label N-1.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The most bytes of images read ahead and held for their reads: a row group is read whole, once, and each of its
    /// images held until its read takes it; past this the oldest row groups' images are let go (read again if asked
    /// for). At least the row group being read is always held.
    /// </summary>
    /// <value>33 554 432 (32 MiB: a few row groups of images, as <c>datasets</c> writes them, 100 rows each); 1 or more.</value>
    public long RowGroupCacheBytes { get; init; } = 32L << 20;

    /// <summary>
    /// Row groups whose image column is larger (uncompressed, as the file's metadata says) are refused at discovery
    /// naming the file and the row group: a row group is the unit that is read and held.
    /// </summary>
    /// <value>1 073 741 824 (1 GiB); 1 to 2 147 483 591 (the largest array).</value>
    public long MaxRowGroupBytes { get; init; } = 1L << 30;

    /// <summary>Checks every value, and the storage options; one exception lists every failure.</summary>
    /// <exception cref="PipelineOptionsException">A value is out of range; one exception lists every failure, each naming the option, the allowed values and the value given.</exception>
    public void Validate()
    {
        var checks = new OptionChecks();
        checks.Add(nameof(ImageColumn), string.IsNullOrWhiteSpace(ImageColumn) ? $"Parameter \"ImageColumn\" must name a column, was \"{ImageColumn}\"." : null);
        checks.Add(nameof(LabelColumn), string.IsNullOrWhiteSpace(LabelColumn) ? $"Parameter \"LabelColumn\" must name a column, was \"{LabelColumn}\"." : null);
        checks.Add(nameof(ObjectsColumn), string.IsNullOrWhiteSpace(ObjectsColumn) ? $"Parameter \"ObjectsColumn\" must name a column, was \"{ObjectsColumn}\"." : null);
        checks.Add(nameof(Split), Split is not null && (Split.Length == 0 || Split.Contains('/', StringComparison.Ordinal)) ? $"Parameter \"Split\" must be a split name (train, validation, test, ...) or null, was \"{Split}\"." : null);
        checks.InRange(RowGroupCacheBytes, 1, long.MaxValue, nameof(RowGroupCacheBytes));
        checks.InRange(MaxRowGroupBytes, 1, Array.MaxLength, nameof(MaxRowGroupBytes));
        Storage.Check(checks);
        checks.ThrowIfAny();
    }

    /// <summary>True for a Parquet file's name (<c>*.parquet</c>).</summary>
    internal static bool IsParquet(string name) => name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);
}
