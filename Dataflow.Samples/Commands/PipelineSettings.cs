using Dataflow.Pipeline;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Samples.Commands;

/// <summary>The pipeline choices read from the command line, from which each command builds its pipelines.</summary>
public sealed record PipelineSettings
{
    /// <summary>The dataset.</summary>
    public required DatasetLocation Dataset { get; init; }

    /// <summary>Target size.</summary>
    public required ImageSize Size { get; init; }

    /// <summary>How each image is brought to <see cref="Size"/>.</summary>
    /// <value><see cref="ResizeMode.Stretch"/>.</value>
    public ResizeMode Resize { get; init; }

    /// <summary>Colour mode.</summary>
    public required ColorMode Color { get; init; }

    /// <summary>Seed.</summary>
    public required long Seed { get; init; }

    /// <summary>Validation fraction (0 for none).</summary>
    public required double ValidationSplit { get; init; }

    /// <summary>Batch size.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Epochs.</summary>
    public required int Epochs { get; init; }

    /// <summary>The <c>--augment</c> choice.</summary>
    public required string AugmentName { get; init; }

    /// <summary>The training subset's augmentations.</summary>
    public required IReadOnlyList<IAugmentation> Augmentations { get; init; }

    /// <summary>The training subset's batch-level augmentations (MixUp, CutMix).</summary>
    public IReadOnlyList<IBatchAugmentation> BatchAugmentations { get; init; } = [];

    /// <summary>Normalization.</summary>
    public required NormalizationOptions Normalization { get; init; }

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
        return new PipelineOptions
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
