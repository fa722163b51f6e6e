namespace Dataflow.Pipeline.Sources;

/// <summary>The options of the sources <see cref="DatasetSources.DetectAsync"/> may pick; each is used only by its form.</summary>
public sealed class DatasetSourceOptions
{
    /// <summary>The defaults of every source.</summary>
    public static DatasetSourceOptions Default { get; } = new();

    /// <summary>How object storage is reached for detection and for class folders in object storage.</summary>
    /// <value><see cref="StorageOptions.Default"/>.</value>
    public StorageOptions Storage { get; init; } = StorageOptions.Default;

    /// <summary>The options of the shard source, or null for its defaults with <see cref="Storage"/>.</summary>
    public ShardSourceOptions? Shards { get; init; }

    /// <summary>The options of the Parquet source, or null for its defaults with <see cref="Storage"/>.</summary>
    public ParquetSourceOptions? Parquet { get; init; }

    /// <summary>The options of the TFRecord source, or null for its defaults with <see cref="Storage"/>.</summary>
    public TFRecordSourceOptions? TFRecord { get; init; }

    /// <summary>The folder a COCO file's images are relative to, or null for the COCO layout's; given for another form, detection refuses it.</summary>
    public string? CocoImages { get; init; }

    /// <summary>
    /// The form to read the location as, without looking at what it holds; null to detect it. Given, the location must
    /// still exist (a local path) and be of a kind the form can be (COCO, YOLO, VOC, multi-label CSV and segmentation are
    /// read from local disk only); what it holds is checked by the source when the pipeline discovers it.
    /// </summary>
    /// <value>null.</value>
    public DatasetForm? Form { get; init; }

    /// <summary>
    /// The split to read, for the forms that name splits: YOLO (<c>train</c>, <c>val</c> or <c>test</c> of <c>data.yaml</c>;
    /// <c>train</c> when null), VOC (the list <c>ImageSets/Main/&lt;split&gt;.txt</c>; every annotation when null) and
    /// segmentation (the sub-folder <c>images/&lt;split&gt;</c> and <c>masks/&lt;split&gt;</c>; the folders themselves when
    /// null). Parquet's split is <see cref="ParquetSourceOptions.Split"/>.
    /// </summary>
    /// <value>null.</value>
    public string? Split { get; init; }

    /// <summary>
    /// The class names of a segmentation dataset, indexed by mask value; null to read them from the dataset's
    /// <c>classes.txt</c> (beside <c>images/</c> and <c>masks/</c>: one name a line, the first naming mask value 0:
    /// <see cref="SegmentationClassesFile"/>). Detection refuses a segmentation dataset that has neither.
    /// </summary>
    /// <value>null.</value>
    public IReadOnlyList<string>? SegmentationClasses { get; init; }

    /// <summary>The file of a segmentation dataset's class names, read when <see cref="SegmentationClasses"/> is null: one name a line, the first line naming mask value 0.</summary>
    public const string SegmentationClassesFile = "classes.txt";

    /// <summary>The image extensions (with the dot) of class folders in object storage; null for <see cref="Discovery.FolderSampleSource.DefaultExtensions"/>.</summary>
    public IReadOnlyList<string>? Extensions { get; init; }
}
