using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A dataset location and the form <see cref="DatasetSources.DetectAsync"/> found there: what to post to a pipeline
/// (<see cref="Location"/>) and the source that reads it (<see cref="CreateSource"/>).
/// </summary>
/// <remarks>
/// <code>
/// DatasetSource dataset = await DatasetSources.DetectAsync("s3://bucket/shards/");
/// var builder = ImagePipeline.CreateBuilder(options);
/// dataset.Configure(builder);   // UseSource with a new source, unless the built-in folder source reads it
/// await using var pipeline = builder.BuildStream();
/// pipeline.Post(dataset.Location);
/// </code>
/// </remarks>
public sealed class DatasetSource
{
    private readonly DatasetSourceOptions _options;

    internal DatasetSource(string location, DatasetForm form, string description, DatasetSourceOptions options)
    {
        Location = location;
        Form = form;
        Description = description;
        _options = options;
    }

    /// <summary>What to post to the pipeline: the location as given (for COCO, the annotation file; for YOLO, the <c>*.yaml</c> or its folder).</summary>
    public string Location { get; }

    /// <summary>The form found there.</summary>
    public DatasetForm Form { get; }

    /// <summary>What was found, for messages (<c>3 tar shards and dataset-index.json at /data/shards</c>).</summary>
    public string Description { get; }

    /// <summary>True when the location is in object storage.</summary>
    public bool IsRemote { get; internal init; }

    /// <summary>For COCO, the folder its images are read from; else null.</summary>
    public string? CocoImages { get; internal init; }

    /// <summary>For segmentation pairs, the class names by mask value (given, or read from the dataset's <see cref="DatasetSourceOptions.SegmentationClassesFile"/>); else null.</summary>
    public IReadOnlyList<string>? SegmentationClasses { get; internal init; }

    /// <summary>
    /// A new source that reads <see cref="Location"/>, or null for class folders on local disk, which the pipeline's
    /// built-in folder source reads (with the options' class names and extensions). The caller disposes a source that is
    /// <see cref="IDisposable"/> after its run.
    /// </summary>
    public ISampleSource? CreateSource() => Form switch
    {
        DatasetForm.ClassFolders => IsRemote ? new ObjectFolderSampleSource(_options.Storage, _options.Extensions) : null,
        DatasetForm.Shards => new ShardSampleSource(_options.Shards ?? new ShardSourceOptions { Storage = _options.Storage }),
        DatasetForm.Parquet => DatasetSources.CreateRegistered(DatasetForm.Parquet, _options),
        DatasetForm.TFRecord => new TFRecordSampleSource(_options.TFRecord ?? new TFRecordSourceOptions { Storage = _options.Storage }),
        DatasetForm.Yolo => new YoloSampleSource(_options.Split ?? "train"),
        DatasetForm.Voc => new VocSampleSource(_options.Split),
        DatasetForm.MultiLabelCsv => new MultiLabelCsvSampleSource(),
        DatasetForm.Segmentation => new SegmentationSampleSource(SegmentationClasses!, _options.Split),
        _ => new CocoSampleSource(CocoImages),
    };

    /// <summary>Sets <paramref name="builder"/>'s source to a new one from <see cref="CreateSource"/> (nothing for local class folders); returns that source, or null.</summary>
    public ISampleSource? Configure(ImagePipelineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ISampleSource? source = CreateSource();
        if (source is not null)
        {
            builder.UseSource(source);
        }

        return source;
    }

    /// <inheritdoc />
    public override string ToString() => Description;
}
