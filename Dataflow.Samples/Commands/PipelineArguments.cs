using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Data;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The command-line options that shape a pipeline, shared by every command that runs one (train, preview,
/// digest …): the one place where they are declared, checked and turned into <see cref="PipelineOptions"/>.
/// </summary>
/// <remarks>
/// Choices and the WxH form fail at parse time with one line naming the option. Ranges are the library's: the
/// options are validated by <see cref="PipelineOptions.Validate"/> when they are read, and each failure names the
/// flag that set the value (<see cref="LibraryOptionFailures"/>).
/// </remarks>
public sealed class PipelineArguments
{
    /// <summary>The library's own image size: a <see cref="PipelineOptions"/> that sets none produces it.</summary>
    public static ImageSize LibraryDefaultSize => PipelineSettings.LibraryDefaultSize;

    /// <summary>The <c>--size</c> default for a folder of the commands that train on CPU (the sample MLP's input).</summary>
    public static ImageSize SmallFolderSize { get; } = new(32, 32);

    private readonly ImageSize _folderSize;

    /// <summary>The <c>--augment</c> choices: the library's presets.</summary>
    public static IReadOnlyList<string> AugmentChoices => AugmentationPresets.Names;

    /// <summary>The <c>--color</c> choices.</summary>
    public static IReadOnlyList<string> ColorChoices => EnumSpellings.Colors;

    /// <summary>Declares the options; <paramref name="defaultEpochs"/> null leaves out <c>--epochs</c> (one pass).</summary>
    /// <param name="defaultEpochs">The <c>--epochs</c> default, or null for a command without it.</param>
    /// <param name="defaultValidationSplit">The <c>--validation-split</c> default.</param>
    /// <param name="minEpochs">The least <c>--epochs</c> accepted (train takes 0 to only evaluate a loaded model).</param>
    /// <param name="folderSize">The <c>--size</c> default for a dataset folder: <see cref="SmallFolderSize"/> unless given
    /// (preview gives <see cref="LibraryDefaultSize"/>, what a pipeline built with the library's defaults produces).</param>
    public PipelineArguments(int? defaultEpochs = null, double defaultValidationSplit = 0.2, int minEpochs = 1, ImageSize? folderSize = null)
    {
        _folderSize = folderSize ?? SmallFolderSize;
        Size.Description = $"Target image size WIDTHxHEIGHT. Default: {EmbeddedDigits.CellSize}x{EmbeddedDigits.CellSize} for the embedded digits, {_folderSize} for a folder.";
        Epochs = defaultEpochs is int epochs
            ? new Option<int>("--epochs") { Description = "Passes over the data.", DefaultValueFactory = _ => epochs }
            : null;
        ValidationSplit = new Option<double>("--validation-split")
        {
            Description = "Fraction of each class held out for validation (seeded, stratified); 0 for none.",
            DefaultValueFactory = _ => defaultValidationSplit,
        };

        // Below 1 is the command's own rule (train takes 0 to only evaluate a model); the rest is the library's.
        Epochs?.Require<Option<int>, int>(v => v >= minEpochs, $"must be at least {minEpochs}");
        Color.OneOf(ColorChoices);
        Normalization.OneOf([.. NormalizationOptions.Presets.Keys]);
    }

    /// <summary><c>--data</c>, <c>--form</c> and the options of each form's source.</summary>
    public DataArguments Dataset { get; } = new();

    /// <summary><c>--data LOCATION</c>: the dataset in any form DatasetSources detects; the embedded digits when absent.</summary>
    public Option<string?> Data => Dataset.Data;

    /// <summary><c>--size WxH</c>.</summary>
    public Option<ImageSize?> Size { get; } = new("--size")
    {
        HelpName = "WxH",
        CustomParser = ParseSize,
    };

    /// <summary><c>--resize stretch|crop|letterbox|torchvision</c>: how each image is brought to <c>--size</c>.</summary>
    public Option<string> Resize { get; } = new Option<string>("--resize")
    {
        Description = "How each image is brought to --size: stretch, crop (centre crop to the size's aspect, then resize), letterbox (resize to fit, pad) or torchvision (shorter side resized, centre cropped).",
        DefaultValueFactory = _ => "stretch",
    }.OneOf(EnumSpellings.Resizes);

    /// <summary><c>--color rgb|bgr|gray</c>.</summary>
    public Option<string?> Color { get; } = new("--color")
    {
        Description = "Channels: rgb, bgr or gray. Default: gray for the embedded digits, rgb for a folder.",
    };

    /// <summary><c>--seed S</c>.</summary>
    public Option<long> Seed { get; } = new("--seed")
    {
        Description = "Seed of every random choice: the split, the orders, the augmentation, the model's initial weights.",
        DefaultValueFactory = _ => 42,
    };

    /// <summary><c>--validation-split F</c>.</summary>
    public Option<double> ValidationSplit { get; }

    /// <summary><c>--batch-size N</c>.</summary>
    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Images per batch.",
        DefaultValueFactory = _ => 32,
    };

    /// <summary><c>--epochs N</c>, for the commands that take it.</summary>
    public Option<int>? Epochs { get; }

    /// <summary><c>--augment</c> and the per-transform options: the training subset's augmentation (the validation subset is never augmented).</summary>
    public AugmentationArguments Augmentation { get; } = new();

    /// <summary><c>--augment</c>: a preset of the library.</summary>
    public Option<string> Augment => Augmentation.Preset;

    /// <summary><c>--normalization</c>: one of the library's presets.</summary>
    public Option<string> Normalization { get; } = new("--normalization")
    {
        Description = "Pixel normalization preset: zero-to-one, imagenet, caffe-bgr or none.",
        DefaultValueFactory = _ => "zero-to-one",
    };

    /// <summary><c>--parallelism N</c>: every per-image block.</summary>
    public Option<int?> Parallelism { get; } = new("--parallelism") { Description = "Workers of every per-image block (read, decode, augment, normalize). Default: the library's (per core)." };

    /// <summary><c>--read-parallelism N</c>.</summary>
    public Option<int?> ReadParallelism { get; } = new("--read-parallelism") { Description = "Concurrent file reads (overrides --parallelism)." };

    /// <summary><c>--decode-parallelism N</c>.</summary>
    public Option<int?> DecodeParallelism { get; } = new("--decode-parallelism") { Description = "Decode-resize workers (overrides --parallelism)." };

    /// <summary><c>--augment-parallelism N</c>.</summary>
    public Option<int?> AugmentParallelism { get; } = new("--augment-parallelism") { Description = "Augment workers (overrides --parallelism)." };

    /// <summary><c>--normalize-parallelism N</c>.</summary>
    public Option<int?> NormalizeParallelism { get; } = new("--normalize-parallelism") { Description = "Normalize workers (overrides --parallelism)." };

    /// <summary><c>--fail-fast</c>: an undecodable image stops the run instead of being skipped and reported.</summary>
    public Option<bool> FailFast { get; } = new("--fail-fast") { Description = "Stop at the first unreadable image instead of skipping it and listing it in the report." };

    private IEnumerable<Option<int?>> StageParallelism => [Parallelism, ReadParallelism, DecodeParallelism, AugmentParallelism, NormalizeParallelism];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Dataset.AddTo(command);
        command.Options.Add(Size);
        command.Options.Add(Resize);
        command.Options.Add(Color);
        command.Options.Add(Seed);
        command.Options.Add(ValidationSplit);
        command.Options.Add(BatchSize);
        if (Epochs is not null)
        {
            command.Options.Add(Epochs);
        }

        Augmentation.AddTo(command);
        command.Options.Add(Normalization);
        foreach (Option<int?> stage in StageParallelism)
        {
            command.Options.Add(stage);
        }

        command.Options.Add(FailFast);
    }

    /// <summary>Finds the dataset (cutting the embedded digits into the cache if needed) and reads every option.</summary>
    /// <exception cref="UsageException">The <c>--data</c> location holds no dataset of a known form, or an option is refused.</exception>
    public PipelineSettings Resolve(ParseResult parse, CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        DatasetLocation dataset = Dataset.Resolve(parse, environment);
        ImageSize size = parse.GetValue(Size) ?? (dataset.IsEmbedded ? new ImageSize(EmbeddedDigits.CellSize, EmbeddedDigits.CellSize) : _folderSize);
        string color = parse.GetValue(Color) ?? (dataset.IsEmbedded ? "gray" : "rgb");
        int? all = parse.GetValue(Parallelism);
        (IReadOnlyList<IAugmentation> augmentations, string augmentName) = Augmentation.Create(parse);
        var settings = new PipelineSettings
        {
            Dataset = dataset,
            Size = size,
            Resize = EnumSpellings.ParseResize(parse.GetValue(Resize)!),
            Color = EnumSpellings.ParseColor(color),
            Seed = parse.GetValue(Seed),
            ValidationSplit = parse.GetValue(ValidationSplit),
            BatchSize = parse.GetValue(BatchSize),
            Epochs = Epochs is null ? 1 : parse.GetValue(Epochs),
            AugmentName = augmentName,
            Augmentations = augmentations,
            BatchAugmentations = Augmentation.CreateBatch(parse),
            Normalization = NormalizationOptions.Presets[parse.GetValue(Normalization)!],
            Read = Stage(parse.GetValue(ReadParallelism) ?? all),
            Decode = Stage(parse.GetValue(DecodeParallelism) ?? all),
            Augment = Stage(parse.GetValue(AugmentParallelism) ?? all),
            Normalize = Stage(parse.GetValue(NormalizeParallelism) ?? all),
            ErrorPolicy = parse.GetValue(FailFast) ? ErrorPolicy.FailFast : ErrorPolicy.SkipAndReport,
        };

        // Zero epochs (train's "only evaluate") builds no training run: the library checks the options of one.
        LibraryOptionFailures.Check(settings, Flags(parse));
        return settings;
    }

    /// <summary>The flag that sets each option property the library may refuse; a stage's flag is the one given (its own, else <c>--parallelism</c>).</summary>
    private Dictionary<string, string> Flags(ParseResult parse)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [nameof(PipelineOptions.Width)] = Size.Name,
            [nameof(PipelineOptions.Height)] = Size.Name,
            [nameof(PipelineOptions.ResizeMode)] = Resize.Name,
            [nameof(PipelineOptions.ValidationSplit)] = ValidationSplit.Name,
            [nameof(PipelineOptions.BatchSize)] = BatchSize.Name,
            [nameof(PipelineOptions.Augmentations)] = Augment.Name,
            [nameof(PipelineOptions.Normalization) + ".Mean"] = Normalization.Name,
            [nameof(PipelineOptions.Normalization) + ".Std"] = Normalization.Name,
        };
        if (Epochs is not null)
        {
            flags[nameof(PipelineOptions.Epochs)] = Epochs.Name;
        }

        foreach ((string stage, Option<int?> own) in new[]
                 {
                     (nameof(PipelineOptions.Read), ReadParallelism), (nameof(PipelineOptions.Decode), DecodeParallelism),
                     (nameof(PipelineOptions.Augment), AugmentParallelism), (nameof(PipelineOptions.Normalize), NormalizeParallelism),
                 })
        {
            string flag = parse.GetValue(own) is null ? Parallelism.Name : own.Name;
            flags[stage + "." + nameof(StageOptions.MaxDegreeOfParallelism)] = flag;
            flags[stage + "." + nameof(StageOptions.BoundedCapacity)] = flag;
        }

        return flags;
    }

    /// <summary>The augmentations an <c>--augment</c> preset stands for, in order.</summary>
    /// <exception cref="UsageException"><paramref name="choice"/> is not a preset.</exception>
    public static IReadOnlyList<IAugmentation> CreateAugmentations(string choice) => AugmentChoices.Contains(choice, StringComparer.Ordinal)
        ? AugmentationPresets.Get(choice)
        : throw new UsageException($"--augment must be one of {string.Join(", ", AugmentChoices)}, was '{choice}'.");

    private static StageOptions? Stage(int? parallelism) => parallelism is int n ? new StageOptions(n, 2 * n) : null;

    private static ImageSize? ParseSize(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (ImageSize.TryParse(text, out ImageSize size))
        {
            return size;
        }

        // The form only: the range is the library's, reported naming --size when the options are checked.
        result.AddError($"--size must be WIDTHxHEIGHT (for example 28x28), was '{text}'.");
        return null;
    }
}
