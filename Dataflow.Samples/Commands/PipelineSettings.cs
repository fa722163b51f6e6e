using Dataflow.Pipeline;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The pipeline choices read from the command line, from which every command of both apps builds its pipelines: the
/// one place where <see cref="PipelineOptions"/> are made from them (<see cref="For"/>); a command that needs more
/// derives its options from those with <c>with</c>. What is not set is the library's default.
/// </summary>
/// <remarks>The tools app compiles this file too, without the dataset (<c>PipelineSettings.Dataset.cs</c>).</remarks>
public sealed partial record PipelineSettings
{
    /// <summary>The library's own image size: a <see cref="PipelineOptions"/> that sets none produces it.</summary>
    public static ImageSize LibraryDefaultSize { get; } = new(new PipelineOptions().Width, new PipelineOptions().Height);

    /// <summary>Target size.</summary>
    /// <value><see cref="LibraryDefaultSize"/>.</value>
    public ImageSize Size { get; init; } = LibraryDefaultSize;

    /// <summary>How each image is brought to <see cref="Size"/>.</summary>
    /// <value><see cref="ResizeMode.Stretch"/>.</value>
    public ResizeMode Resize { get; init; }

    /// <summary>Colour mode.</summary>
    /// <value><see cref="ColorMode.Rgb"/>.</value>
    public ColorMode Color { get; init; } = ColorMode.Rgb;

    /// <summary>Seed.</summary>
    public long Seed { get; init; }

    /// <summary>Validation fraction (0 for none).</summary>
    public double ValidationSplit { get; init; }

    /// <summary>Batch size.</summary>
    /// <value>32.</value>
    public int BatchSize { get; init; } = 32;

    /// <summary>Epochs.</summary>
    /// <value>1.</value>
    public int Epochs { get; init; } = 1;

    /// <summary>The <c>--augment</c> choice.</summary>
    /// <value><c>none</c>.</value>
    public string AugmentName { get; init; } = "none";

    /// <summary>The training subset's augmentations.</summary>
    /// <value>None.</value>
    public IReadOnlyList<IAugmentation> Augmentations { get; init; } = [];

    /// <summary>The training subset's batch-level augmentations (MixUp, CutMix).</summary>
    public IReadOnlyList<IBatchAugmentation> BatchAugmentations { get; init; } = [];

    /// <summary>Normalization.</summary>
    /// <value><see cref="NormalizationOptions.ZeroToOne"/>.</value>
    public NormalizationOptions Normalization { get; init; } = NormalizationOptions.ZeroToOne;

    /// <summary>Read block, or null for the library default.</summary>
    public StageOptions? Read { get; init; }

    /// <summary>Decode block, or null for the library default.</summary>
    public StageOptions? Decode { get; init; }

    /// <summary>Augment block, or null for the library default.</summary>
    public StageOptions? Augment { get; init; }

    /// <summary>Normalize block, or null for the library default.</summary>
    public StageOptions? Normalize { get; init; }

    /// <summary>What to do with unreadable images.</summary>
    public ErrorPolicy ErrorPolicy { get; init; }

    /// <summary>Read the rank and world size not given from the launcher's variables (<c>--launcher</c>).</summary>
    public bool ReadLauncherEnvironment { get; init; }

    /// <summary>This process's rank (<c>--rank</c>), or null for the launcher's variables (with <c>--launcher</c>) or 0.</summary>
    public int? Rank { get; init; }

    /// <summary>Processes in the run (<c>--world-size</c>), or null for the launcher's variables (with <c>--launcher</c>) or 1.</summary>
    public int? WorldSize { get; init; }

    /// <summary>The remainder policy (<c>--remainder</c>).</summary>
    public Dataflow.Pipeline.Distributed.RemainderPolicy Remainder { get; init; }

    /// <summary>
    /// Options for one subset. The training subset gets the augmentations and a per-epoch shuffle; the
    /// validation subset neither, nor does any subset read <paramref name="forEvaluation"/>. Both subsets
    /// use the same seed and split, so they are disjoint.
    /// </summary>
    public PipelineOptions For(Subset subset, int? epochs = null, bool forEvaluation = false)
    {
        var defaults = new PipelineOptions();
        bool training = subset == Subset.Training && !forEvaluation;
        return defaults with
        {
            Width = Size.Width,
            Height = Size.Height,
            ResizeMode = Resize,
            ColorMode = Color,
            Seed = Seed,
            ValidationSplit = ValidationSplit,
            Subset = subset,
            BatchSize = BatchSize,
            Epochs = epochs ?? Epochs,
            Augmentations = training ? Augmentations : [],
            BatchAugmentations = training ? BatchAugmentations : [],
            Shuffle = training,
            ShuffleWithinBatch = training,
            Normalization = Normalization,
            Layout = TensorLayout.Nchw,
            ErrorPolicy = ErrorPolicy,
            Read = Read ?? defaults.Read,
            Decode = Decode ?? defaults.Decode,
            Augment = Augment ?? defaults.Augment,
            Normalize = Normalize ?? defaults.Normalize,
            // The training subset is split between the ranks; every rank scores the whole validation subset.
            Rank = training ? Rank : 0,
            WorldSize = training ? WorldSize : 1,
            ReadLauncherEnvironment = ReadLauncherEnvironment,
            Remainder = Remainder,
        };
    }

    /// <summary>A short description for reports: size, colour, normalization, augmentation.</summary>
    public override string ToString() =>
        $"{Size}{(Resize == ResizeMode.Stretch ? "" : " " + EnumSpellings.Of(Resize))} {EnumSpellings.Of(Color)}, {Normalization.Name}, augment {AugmentName}, batch {BatchSize}, seed {Seed}";
}
