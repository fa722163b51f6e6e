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

    /// <summary>The image extensions (with the dot) of class folders in object storage; null for <see cref="Discovery.FolderSampleSource.DefaultExtensions"/>.</summary>
    public IReadOnlyList<string>? Extensions { get; init; }
}
