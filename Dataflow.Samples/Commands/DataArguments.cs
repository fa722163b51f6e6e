using System.CommandLine;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The command-line options that say where a command's dataset is and how its source reads it, shared by every command
/// that takes <c>--data</c>: the one place where <c>--data</c>, <c>--form</c>, <c>--split</c> and each form's source options
/// are declared, checked and turned into <see cref="DatasetSourceOptions"/>.
/// </summary>
/// <remarks>
/// A source option given for a dataset of another form fails naming the option, the forms it goes with and the form found
/// (nothing given is silently unused); a value the library refuses fails naming the option that set it.
/// </remarks>
public sealed class DataArguments
{
    /// <summary><c>--data LOCATION</c>: the dataset in any form DatasetSources detects; the embedded digits when absent.</summary>
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "The dataset, in any form: a folder of class folders; tar shards (a folder, FILE.tar or a brace pattern); Parquet (FILE.parquet, or a folder with data/*.parquet); "
            + "TFRecord (FILE.tfrecord); a COCO annotation file (FILE.json) or COCO folder (annotations/instances_<split>.json with the images in <split>/); "
            + "a YOLO data.yaml (or FILE.yaml, or the folder holding data.yaml); a Pascal VOC folder (Annotations/ and JPEGImages/: VOCdevkit/VOC2012); "
            + "a multi-label CSV file (FILE.csv of path,labels rows); segmentation pairs (a folder of images/ and masks/); "
            + "or s3://, az://, https:// locations of the first four. Default: the embedded handwritten digits.",
        HelpName = "LOCATION",
    };

    /// <summary><c>--form NAME</c>: the form to read <c>--data</c> as, instead of detecting it.</summary>
    public Option<string?> Form { get; } = new Option<string?>("--form")
    {
        Description = $"Read --data as this form instead of detecting it (for a location that holds several): {string.Join(", ", EnumSpellings.Forms)}.",
        HelpName = "FORM",
    }.OneOf(EnumSpellings.Forms);

    /// <summary><c>--images DIR</c>: the folder a COCO file's images are relative to.</summary>
    public Option<string?> Images { get; } = new("--images")
    {
        Description = "With a COCO --data: the folder its images' file_name are relative to. Default: <split>/ beside the annotations folder, else the file's folder.",
        HelpName = "DIR",
    };

    /// <summary><c>--split NAME</c>: the split of a Parquet, YOLO, VOC or segmentation dataset.</summary>
    public Option<string?> Split { get; } = new("--split")
    {
        Description = "The split to read: Parquet's {split}-NNNNN-of-NNNNN.parquet files (default: every file); YOLO's train, val or test of data.yaml (default: train); "
            + "VOC's ImageSets/Main/<split>.txt (default: every annotation); segmentation's images/<split> and masks/<split> (default: images/ and masks/).",
        HelpName = "NAME",
    };

    /// <summary><c>--image-column NAME</c>: the Parquet column of the images.</summary>
    public Option<string?> ImageColumn { get; } = new("--image-column")
    {
        Description = $"With Parquet: the column of the encoded images (a Hugging Face Image struct or binary). Default: {new ParquetSourceOptions().ImageColumn}.",
        HelpName = "NAME",
    };

    /// <summary><c>--label-column NAME</c>: the Parquet column of the class indices.</summary>
    public Option<string?> LabelColumn { get; } = new("--label-column")
    {
        Description = $"With Parquet: the column of the class indices (a Hugging Face ClassLabel). Default: {new ParquetSourceOptions().LabelColumn}.",
        HelpName = "NAME",
    };

    /// <summary><c>--image-feature KEY</c>: the TFRecord feature of the images.</summary>
    public Option<string?> ImageFeature { get; } = new("--image-feature")
    {
        Description = $"With TFRecord: the tf.train.Example feature of the encoded image. Default: the first present of {string.Join(", ", new TFRecordSourceOptions().ImageFeatures)}.",
        HelpName = "KEY",
    };

    /// <summary><c>--label-feature KEY</c>: the TFRecord feature of the class indices.</summary>
    public Option<string?> LabelFeature { get; } = new("--label-feature")
    {
        Description = $"With TFRecord: the tf.train.Example feature of the class index. Default: the first present of {string.Join(", ", new TFRecordSourceOptions().LabelFeatures)}.",
        HelpName = "KEY",
    };

    /// <summary><c>--segmentation-classes A,B,…</c>: a segmentation dataset's class names by mask value.</summary>
    public Option<string?> SegmentationClasses { get; } = new("--segmentation-classes")
    {
        Description = $"With segmentation pairs: the class names, comma-separated, the first naming mask value 0. Default: the dataset's {DatasetSourceOptions.SegmentationClassesFile} (one name a line).",
        HelpName = "NAMES",
    };

    /// <summary>Each source option and the forms it goes with.</summary>
    private IEnumerable<(Option<string?> Option, DatasetForm[] Forms)> FormOptions =>
    [
        (Images, [DatasetForm.Coco]),
        (Split, [DatasetForm.Parquet, DatasetForm.Yolo, DatasetForm.Voc, DatasetForm.Segmentation]),
        (ImageColumn, [DatasetForm.Parquet]),
        (LabelColumn, [DatasetForm.Parquet]),
        (ImageFeature, [DatasetForm.TFRecord]),
        (LabelFeature, [DatasetForm.TFRecord]),
        (SegmentationClasses, [DatasetForm.Segmentation]),
    ];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Data);
        command.Options.Add(Form);
        foreach ((Option<string?> option, _) in FormOptions)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// Finds the dataset (the embedded digits when <c>--data</c> is absent) and reads it with the options given; the
    /// sources it makes are disposed when <paramref name="environment"/>'s command ends.
    /// </summary>
    /// <exception cref="UsageException">Nothing is there, no dataset or several forms are, an option goes with another form, or a value is refused.</exception>
    public DatasetLocation Resolve(ParseResult parse, CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        string? data = parse.GetValue(Data);
        if (data is null && FormOptions.Select(f => f.Option).Prepend(Form).FirstOrDefault(o => parse.GetResult(o) is not null) is { } alone)
        {
            throw alone == Images ? DatasetLocation.ImagesWithoutCoco() : new UsageException($"{alone.Name} goes with --data (the embedded digits are class folders).");
        }

        DatasetLocation dataset = DatasetLocation.Resolve(data, SourceOptions(parse), environment, Flags);
        foreach ((Option<string?> option, DatasetForm[] forms) in FormOptions)
        {
            if (parse.GetValue(option) is not null && !forms.Contains(dataset.Form))
            {
                throw option == Images
                    ? DatasetLocation.ImagesWithoutCoco()
                    : new UsageException($"{option.Name} goes with {string.Join(" or ", forms.Select(EnumSpellings.Of))} datasets; '{dataset.Root}' is {EnumSpellings.Of(dataset.Form)} ({dataset.DisplayName}).");
            }
        }

        return dataset;
    }

    /// <summary>The options of the sources detection may pick, from the flags; each checked by the library, its failures naming the flag.</summary>
    private DatasetSourceOptions SourceOptions(ParseResult parse)
    {
        string? split = parse.GetValue(Split);
        ParquetSourceOptions? parquet = null;
        if (split is not null || parse.GetValue(ImageColumn) is not null || parse.GetValue(LabelColumn) is not null)
        {
            var defaults = new ParquetSourceOptions();
            parquet = new ParquetSourceOptions
            {
                Split = split,
                ImageColumn = parse.GetValue(ImageColumn) ?? defaults.ImageColumn,
                LabelColumn = parse.GetValue(LabelColumn) ?? defaults.LabelColumn,
            };
            Check(parquet.Validate, new() { [nameof(ParquetSourceOptions.Split)] = Split.Name, [nameof(ParquetSourceOptions.ImageColumn)] = ImageColumn.Name, [nameof(ParquetSourceOptions.LabelColumn)] = LabelColumn.Name });
        }

        TFRecordSourceOptions? tfrecord = null;
        if (parse.GetValue(ImageFeature) is not null || parse.GetValue(LabelFeature) is not null)
        {
            var defaults = new TFRecordSourceOptions();
            tfrecord = new TFRecordSourceOptions
            {
                ImageFeatures = parse.GetValue(ImageFeature) is string image ? [image] : defaults.ImageFeatures,
                LabelFeatures = parse.GetValue(LabelFeature) is string label ? [label] : defaults.LabelFeatures,
            };
            Check(tfrecord.Validate, new() { [nameof(TFRecordSourceOptions.ImageFeatures)] = ImageFeature.Name, [nameof(TFRecordSourceOptions.LabelFeatures)] = LabelFeature.Name });
        }

        return new DatasetSourceOptions
        {
            Form = parse.GetValue(Form) is string form ? EnumSpellings.ParseForm(form) : null,
            CocoImages = parse.GetValue(Images) is string images ? FolderOption.Require(images, Images.Name) : null,
            Split = split,
            Parquet = parquet,
            TFRecord = tfrecord,
            SegmentationClasses = parse.GetValue(SegmentationClasses) is string names ? [.. names.Split(',', StringSplitOptions.TrimEntries)] : null,
        };
    }

    /// <summary>The flag of each <see cref="DatasetSourceOptions"/> property the library may name in its refusals.</summary>
    internal IReadOnlyDictionary<string, string> Flags => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [nameof(DatasetSourceOptions.Split)] = Split.Name,
        [nameof(DatasetSourceOptions.SegmentationClasses)] = SegmentationClasses.Name,
    };

    private static void Check(Action validate, Dictionary<string, string> flags)
    {
        try
        {
            validate();
        }
        catch (PipelineOptionsException e)
        {
            throw new UsageException(string.Join(' ', e.Failures.Select(f => LibraryOptionFailures.Describe(f, flags)).Distinct(StringComparer.Ordinal)));
        }
    }
}
