namespace Dataflow.Pipeline.Sources;

/// <summary>The form a dataset location takes, as <see cref="DatasetSources.DetectAsync"/> finds it.</summary>
public enum DatasetForm
{
    /// <summary>A folder (or object-storage prefix) whose sub-folders are the classes.</summary>
    ClassFolders,

    /// <summary>Tar shards in the WebDataset layout, with or without a <see cref="ShardIndex"/>.</summary>
    Shards,

    /// <summary>Parquet files (the Hugging Face image layout).</summary>
    Parquet,

    /// <summary>TFRecord files of <c>tf.train.Example</c> records.</summary>
    TFRecord,

    /// <summary>A COCO instances (or keypoints) annotation file and its images.</summary>
    Coco,
}
