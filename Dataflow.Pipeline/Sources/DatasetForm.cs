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

    /// <summary>An Ultralytics YOLO dataset: a <c>data.yaml</c> (or another <c>*.yaml</c> given by name) with its images and label files.</summary>
    Yolo,

    /// <summary>A Pascal VOC detection folder (<c>Annotations/</c> and <c>JPEGImages/</c>: the VOCdevkit year folder).</summary>
    Voc,

    /// <summary>A multi-label CSV file of <c>path,labels</c> rows.</summary>
    MultiLabelCsv,

    /// <summary>Semantic segmentation pairs: <c>images/</c> and <c>masks/</c> of the same names.</summary>
    Segmentation,
}
