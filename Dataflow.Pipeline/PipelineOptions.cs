using System.Globalization;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Internal;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline;

/// <summary>
/// Every setting of an <see cref="ImagePipeline"/>. Validated once, when the pipeline is built: invalid values
/// throw one <see cref="PipelineOptionsException"/> (an <see cref="ArgumentException"/>) listing each option, the
/// allowed values and the value given. The builder keeps a frozen copy (see <see cref="ImagePipelineBuilder"/>).
/// </summary>
public sealed record PipelineOptions
{
    // Image

    /// <summary>Target width in pixels.</summary>
    /// <value>224; 1 to 16384.</value>
    public int Width { get; init; } = 224;

    /// <summary>Target height in pixels.</summary>
    /// <value>224; 1 to 16384.</value>
    public int Height { get; init; } = 224;

    /// <summary>Channel order and count.</summary>
    /// <value><see cref="ColorMode.Rgb"/>.</value>
    public ColorMode ColorMode { get; init; } = ColorMode.Rgb;

    /// <summary>How images reach the target size.</summary>
    /// <value><see cref="ResizeMode.Stretch"/> (as Keras).</value>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.Stretch;

    /// <summary>Resampling for resizes.</summary>
    /// <value><see cref="Interpolation.Bilinear"/> (as Keras and torchvision).</value>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    /// <summary>Decode large JPEGs at 1/2, 1/4 or 1/8 resolution when that still covers the target.</summary>
    /// <remarks>
    /// Faster on images much larger than the target, and the pixels differ from a full decode followed by the same
    /// resize (the DCT-domain reduction averages pixels that a bilinear resize skips). Set false for exactly OpenCV's
    /// full decode + resize. How much faster and how different, measured: docs/performance.md.
    /// </remarks>
    /// <value>true.</value>
    public bool ReducedDecode { get; init; } = true;

    /// <summary>Images whose header declares more pixels are refused (decompression-bomb guard).</summary>
    /// <value>178 956 970 (Pillow's limit); 1 to 2^31.</value>
    public long MaxImagePixels { get; init; } = 178_956_970;

    /// <summary>Decode JPEGs that lack their end-of-image marker (OpenCV fills the missing part with grey).</summary>
    /// <value>false: such files count as corrupt.</value>
    public bool AcceptTruncatedJpeg { get; init; }

    /// <summary>Apply the EXIF orientation of JPEGs (OpenCV's behaviour) rather than the stored pixel order.</summary>
    /// <value>true.</value>
    public bool HonorExifOrientation { get; init; } = true;

    /// <summary>
    /// Files with more bytes are not read: the sample is skipped (or, with <see cref="ErrorPolicy.FailFast"/>, faults
    /// the run) with a reason naming the file, its size and this option.
    /// </summary>
    /// <remarks>Applies to the built-in folder source (a shard source has its own,
    /// <see cref="Sources.ShardSourceOptions.MaxMemberBytes"/>). Of a file larger than 64 KiB the first 64 KiB are read and
    /// checked first (a known image signature, a declared size within <see cref="MaxImagePixels"/>), so a large
    /// file of noise or a decompression bomb is refused without being read whole.</remarks>
    /// <value>268 435 456 (256 MiB); 1 to 2 147 483 591 (the largest array).</value>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    /// <summary>
    /// With <see cref="ResizeMode.ShorterSideThenCenterCrop"/>: the target's larger side over the size the shorter
    /// side is resized to before the centre crop (timm's <c>crop_pct</c>).
    /// </summary>
    /// <value>0.875 (a 224 target is cut from a shorter side of 256, as torchvision's ImageNet evaluation); above 0, at most 1.</value>
    public double CenterCropFraction { get; init; } = 0.875;

    internal const long DefaultMaxFileBytes = 256L * 1024 * 1024;

    // Dataset

    /// <summary>An explicit class list whose order gives the labels; null takes every class folder, sorted.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>File extensions that are images, each with its dot (<c>".jpg"</c>); null for <see cref="FolderSampleSource.DefaultExtensions"/>.</summary>
    public IReadOnlyList<string>? Extensions { get; init; }

    /// <summary>Fraction of each class held out for validation (Keras <c>validation_split</c>).</summary>
    /// <value>0 (no split); 0 to below 1.</value>
    public double ValidationSplit { get; init; }

    /// <summary>Which part of the split to stream.</summary>
    /// <value><see cref="Subset.Training"/>.</value>
    public Subset Subset { get; init; } = Subset.Training;

    // Augmentation and normalization

    /// <summary>Transforms applied in order to every image (see <see cref="AugmentationPresets"/> for ready-made lists).</summary>
    /// <remarks>A first entry that is an <see cref="ISourceCropAugmentation"/> (such as <see cref="RandomResizedCrop"/>) is fused
    /// with the decode stage's resize: its region of the full-size image is resized once, straight to the target. The list must
    /// end at the target size: one whose last declared size (<see cref="IAugmentation.OutputSize"/>) differs is refused at build.</remarks>
    /// <value>None.</value>
    public IReadOnlyList<IAugmentation> Augmentations { get; init; } = [];

    /// <summary>Transforms applied in order to every assembled batch, after the in-batch shuffle and before delivery (such as <see cref="MixUp"/> and <see cref="CutMix"/>).</summary>
    /// <remarks>They draw from a generator keyed by (seed, epoch, batch index), so a batch's result does not depend on the parallelism.</remarks>
    /// <value>None.</value>
    public IReadOnlyList<IBatchAugmentation> BatchAugmentations { get; init; } = [];

    /// <summary>Pixel scaling, mean and std.</summary>
    /// <remarks>Per-channel values go to the channel of their colour (<see cref="NormalizationOptions.ChannelOrder"/>), whatever
    /// <see cref="ColorMode"/> is: a built pipeline's options hold them listed in its own channel order.</remarks>
    /// <value><see cref="NormalizationOptions.ZeroToOne"/>.</value>
    public NormalizationOptions Normalization { get; init; } = NormalizationOptions.ZeroToOne;

    /// <summary>Tensor memory order.</summary>
    /// <value><see cref="TensorLayout.Nchw"/>.</value>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    // Batching

    /// <summary>Images per batch.</summary>
    /// <value>32; 1 to 65536.</value>
    public int BatchSize { get; init; } = 32;

    /// <summary>Drop each epoch's last batch when it is short (counted in the report as dropped).</summary>
    /// <value>false.</value>
    public bool DropLast { get; init; }

    /// <summary>Passes over the data.</summary>
    /// <value>1; 1 to 100000.</value>
    public int Epochs { get; init; } = 1;

    /// <summary>The first epoch the run streams: it streams epochs <see cref="FirstEpoch"/> to <see cref="Epochs"/> - 1
    /// (Keras' <c>initial_epoch</c>).</summary>
    /// <remarks>Epoch <c>e</c> has the order and augmentation it has in a run from epoch 0, bit for bit: for a pipeline
    /// built once per epoch, set <c>FirstEpoch = e, Epochs = e + 1</c>. A pipeline built again with the same options and
    /// <c>Epochs = 1</c> streams epoch 0 again: the same order and the same augmentation. Changing <see cref="Seed"/>
    /// instead changes the validation split too. See also <see cref="ImageLoader.ReadEpochAsync"/>.</remarks>
    /// <value>0; 0 to <see cref="Epochs"/> - 1.</value>
    public int FirstEpoch { get; init; }

    /// <summary>A fresh permutation of the whole sample order each epoch, from (seed, epoch).</summary>
    /// <value>true.</value>
    public bool Shuffle { get; init; } = true;

    /// <summary>Shuffle rows within each batch (seeded).</summary>
    /// <value>true.</value>
    public bool ShuffleWithinBatch { get; init; } = true;

    /// <summary>The seed of every random choice: split, orders, augmentation.</summary>
    /// <value>0.</value>
    public long Seed { get; init; }

    /// <summary>What to do with unreadable or undecodable samples.</summary>
    /// <value><see cref="ErrorPolicy.SkipAndReport"/>.</value>
    public ErrorPolicy ErrorPolicy { get; init; } = ErrorPolicy.SkipAndReport;

    /// <summary>Skipped samples tolerated over the whole run; one more faults the run with a summary of the reasons.</summary>
    /// <remarks>Like SPDL's <c>max_failures</c>. Applies under <see cref="ErrorPolicy.SkipAndReport"/>. Whatever the budget, an
    /// epoch in which no sample could be batched faults the run.</remarks>
    /// <value>null: no limit by count; 0 to 2^31 - 1.</value>
    public int? MaxFailures { get; init; }

    /// <summary>The fraction of an epoch's samples that may be skipped; past it the run faults with a summary of the reasons.</summary>
    /// <value>1: no limit by fraction; 0 to 1.</value>
    public double MaxFailureFraction { get; init; } = 1.0;

    // Blocks

    /// <summary>The read block: asynchronous file reads, so its parallelism is about I/O depth.</summary>
    public StageOptions Read { get; init; } = new(Math.Max(4, Environment.ProcessorCount), 2 * Math.Max(4, Environment.ProcessorCount));

    /// <summary>The decode-resize block.</summary>
    /// <remarks>Without user stages after decode or augment, one block decodes, augments and normalizes each
    /// image in a single step, with these options (<see cref="Augment"/> and <see cref="Normalize"/> then go unused).
    /// The block keeps message order, so it holds 8 messages per worker: with less room, one slow image holds its
    /// finished neighbours and the workers stall (measured in docs/dev/performance-log.md).</remarks>
    /// <value>One worker per core, 8 messages per worker.</value>
    public StageOptions Decode { get; init; } = new(Environment.ProcessorCount, 8 * Environment.ProcessorCount);

    /// <summary>The augment block.</summary>
    public StageOptions Augment { get; init; } = StageOptions.ForCpu();

    /// <summary>The normalize block.</summary>
    public StageOptions Normalize { get; init; } = StageOptions.ForCpu();

    /// <summary>Finished batches buffered ahead of the trainer (prefetch).</summary>
    /// <value>2; 1 to 1024.</value>
    public int PrefetchBatches { get; init; } = 2;

    // Distributed

    /// <summary>This process's rank among the processes of a data-parallel run, from 0.</summary>
    /// <remarks>Null reads it from the launcher's variables when <see cref="ReadLauncherEnvironment"/> is on, else 0. Each rank
    /// streams its own part of every epoch (docs/distributed.md).</remarks>
    /// <value>null; 0 to WorldSize - 1.</value>
    public int? Rank { get; init; }

    /// <summary>Processes in the data-parallel run: each epoch's global order is split between them.</summary>
    /// <remarks>Null reads it from the launcher's variables when <see cref="ReadLauncherEnvironment"/> is on, else 1.</remarks>
    /// <value>null; 1 to 1 000 000.</value>
    public int? WorldSize { get; init; }

    /// <summary>What happens to an epoch's last samples when they do not fill a batch on every rank.</summary>
    /// <value><see cref="Distributed.RemainderPolicy.Pad"/>: equal step counts on every rank, repeats weighted 0.</value>
    public Distributed.RemainderPolicy Remainder { get; init; } = Distributed.RemainderPolicy.Pad;

    /// <summary>Read <see cref="Rank"/> and <see cref="WorldSize"/>, where not set, from the launchers' variables
    /// (torchrun, Open MPI, MPICH / Intel MPI, SLURM; see <see cref="Distributed.LauncherEnvironment"/>).</summary>
    /// <remarks>Off, a process inside a launched job (an <c>sbatch --ntasks=4</c> allocation, an <c>mpirun</c>) streams every
    /// sample, and the launcher variables it sees are named in <see cref="PipelineReport.UnreadLauncherVariables"/> and in a
    /// logged warning. On, the rank and world size taken and the variables they came from are in
    /// <see cref="PipelineReport.Placement"/> and logged.</remarks>
    /// <value>false: only <see cref="Rank"/> and <see cref="WorldSize"/> split the data.</value>
    public bool ReadLauncherEnvironment { get; init; }

    /// <summary>
    /// Checks every option and how they fit together; throws one exception listing every failure, each naming the
    /// option, the allowed values and the value given.
    /// </summary>
    /// <remarks>
    /// Besides each option's range: every extension starts with a dot; no augmentation is null (the index is named);
    /// augmentations that declare their output size (<see cref="IAugmentation.OutputSize"/>) end at the target size;
    /// one batch tensor (<see cref="BatchSize"/> × <see cref="Width"/> × <see cref="Height"/> × channels floats) fits in
    /// one .NET array; the normalization has one value or one per channel.
    /// </remarks>
    /// <exception cref="PipelineOptionsException">At least one option is out of range or inconsistent with another;
    /// <see cref="PipelineOptionsException.Failures"/> lists them all.</exception>
    public void Validate()
    {
        var checks = new OptionChecks();
        bool sized = checks.InRange(Width, 1, 16_384, nameof(Width)) & checks.InRange(Height, 1, 16_384, nameof(Height));
        checks.Defined(ColorMode, nameof(ColorMode));
        checks.Defined(ResizeMode, nameof(ResizeMode));
        checks.Defined(Interpolation, nameof(Interpolation));
        checks.Defined(Layout, nameof(Layout));
        checks.Defined(Subset, nameof(Subset));
        checks.Defined(ErrorPolicy, nameof(ErrorPolicy));
        checks.InRange(MaxImagePixels, 1, int.MaxValue + 1L, nameof(MaxImagePixels));
        checks.InRange(MaxFileBytes, 1, Array.MaxLength, nameof(MaxFileBytes));
        checks.InRange(CenterCropFraction, 0.0, 1.0, nameof(CenterCropFraction), minExclusive: true);
        CheckExtensions(checks);
        checks.InRange(ValidationSplit, 0.0, 1.0, nameof(ValidationSplit), maxExclusive: true);
        if (Subset == Subset.Validation && ValidationSplit == 0)
        {
            checks.Add(nameof(Subset), $"Parameter \"{nameof(Subset)}\" is Validation but \"{nameof(ValidationSplit)}\" is 0: set a split above 0 and below 1.");
        }

        if (checks.InRange(BatchSize, 1, 65_536, nameof(BatchSize)) && sized)
        {
            CheckTensorLength(checks);
        }

        if (checks.InRange(Epochs, 1, 100_000, nameof(Epochs)))
        {
            if (FirstEpoch < 0 || FirstEpoch >= Epochs)
            {
                checks.Add(nameof(FirstEpoch), string.Create(CultureInfo.InvariantCulture,
                    $"Parameter \"{nameof(FirstEpoch)}\" must be between 0 and {Epochs - 1} (\"{nameof(Epochs)}\" - 1: the run streams epochs {nameof(FirstEpoch)} to {nameof(Epochs)} - 1), was {FirstEpoch}."));
            }
        }
        checks.InRange(PrefetchBatches, 1, 1024, nameof(PrefetchBatches));
        if (MaxFailures is int maxFailures)
        {
            checks.InRange(maxFailures, 0, int.MaxValue, nameof(MaxFailures));
        }

        checks.InRange(MaxFailureFraction, 0.0, 1.0, nameof(MaxFailureFraction));
        CheckAugmentations(checks, sized);
        CheckBatchAugmentations(checks);
        if (Normalization is null)
        {
            checks.Add(nameof(Normalization), $"Parameter \"{nameof(Normalization)}\" must be set, was null.");
        }
        else
        {
            Normalization.Check(ColorMode == ColorMode.Grayscale ? 1 : 3, checks);
        }

        CheckStage(Read, nameof(Read), checks);
        CheckStage(Decode, nameof(Decode), checks);
        CheckStage(Augment, nameof(Augment), checks);
        CheckStage(Normalize, nameof(Normalize), checks);
        CheckOutput(checks);
        checks.Defined(Remainder, nameof(Remainder));
        if (WorldSize is int worldSize)
        {
            checks.InRange(worldSize, 1, 1_000_000, nameof(WorldSize));
        }

        if (Rank is int rank)
        {
            checks.InRange(rank, 0, WorldSize is int size ? size - 1 : 999_999, nameof(Rank));
        }

        Cache?.Check(Width, Height, checks);
        if (Targets is null)
        {
            checks.Add(nameof(Targets), $"Parameter \"{nameof(Targets)}\" must be set, was null.");
        }
        else
        {
            Targets.Check(checks, nameof(Targets));
        }

        checks.ThrowIfAny();

        // The disk is looked at once every value is valid.
        Cache?.CheckFolder();
    }

    /// <summary>
    /// A copy that shares nothing the caller can change: lists copied into read-only arrays, and the normalization's
    /// per-channel values put in the order of <see cref="ColorMode"/> (<see cref="NormalizationOptions.InChannelOrder"/>).
    /// </summary>
    /// <remarks>What <see cref="ImagePipelineBuilder"/> builds from (as Dataflow's blocks copy their options): changing the
    /// caller's options, lists or presets afterwards changes nothing for a built pipeline. Augmentations themselves are
    /// shared, not copied: the library's are immutable, and a user's must be thread-safe anyway.</remarks>
    internal PipelineOptions Freeze() => this with
    {
        ClassNames = ClassNames is null ? null : [.. ClassNames],
        Extensions = Extensions is null ? null : [.. Extensions],
        Augmentations = Augmentations is null ? null! : [.. Augmentations],
        BatchAugmentations = BatchAugmentations is null ? null! : [.. BatchAugmentations],
        Normalization = Normalization?.InChannelOrder(ColorMode)!,
    };

    private void CheckExtensions(OptionChecks checks)
    {
        if (Extensions is null)
        {
            return;
        }

        if (Extensions.Count == 0)
        {
            checks.Add(nameof(Extensions), $"Parameter \"{nameof(Extensions)}\" must hold at least one extension, was empty.");
        }

        for (int i = 0; i < Extensions.Count; i++)
        {
            string? extension = Extensions[i];
            if (extension is null || extension.Length < 2 || extension[0] != '.' || extension.IndexOfAny(['/', '\\', '*', '?']) >= 0)
            {
                checks.Add(nameof(Extensions), extension is null
                    ? $"Parameter \"{nameof(Extensions)}\" must hold extensions that start with a dot, as \".jpg\", was null at index {i}."
                    : $"Parameter \"{nameof(Extensions)}\" must hold extensions that start with a dot, as \".jpg\", was \"{extension}\" at index {i}.");
            }
        }
    }

    private void CheckTensorLength(OptionChecks checks)
    {
        long sample = (long)Width * Height * Channels;
        long length = sample * BatchSize;
        if (length > Array.MaxLength)
        {
            checks.Add(nameof(BatchSize), string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{nameof(BatchSize)}\" × sample length (\"{nameof(Width)}\" × \"{nameof(Height)}\" × channels = {Width} × {Height} × {Channels} = {sample}) must be at most {Array.MaxLength} floats (the largest .NET array) for one batch tensor, was {BatchSize} × {sample} = {length}."));
        }
    }

    private void CheckAugmentations(OptionChecks checks, bool sized)
    {
        if (Augmentations is null)
        {
            checks.Add(nameof(Augmentations), $"Parameter \"{nameof(Augmentations)}\" must be set (empty for none), was null.");
            return;
        }

        for (int i = 0; i < Augmentations.Count; i++)
        {
            if (Augmentations[i] is null)
            {
                checks.Add(nameof(Augmentations), $"Parameter \"{nameof(Augmentations)}\" must not hold null, was null at index {i}.");
            }
        }

        if (sized)
        {
            checks.Add(nameof(Augmentations), AugmentationContracts.OutputSizeFailure(Augmentations, new OpenCvSharp.Size(Width, Height), nameof(Augmentations)));
        }
    }

    private void CheckBatchAugmentations(OptionChecks checks)
    {
        if (BatchAugmentations is null)
        {
            checks.Add(nameof(BatchAugmentations), $"Parameter \"{nameof(BatchAugmentations)}\" must be set (empty for none), was null.");
            return;
        }

        for (int i = 0; i < BatchAugmentations.Count; i++)
        {
            if (BatchAugmentations[i] is null)
            {
                checks.Add(nameof(BatchAugmentations), $"Parameter \"{nameof(BatchAugmentations)}\" must not hold null, was null at index {i}.");
            }
        }
    }

    private static void CheckStage(StageOptions? stage, string name, OptionChecks checks)
    {
        if (stage is null)
        {
            checks.Add(name, $"Parameter \"{name}\" must be set, was null.");
        }
        else
        {
            stage.Check(name, checks);
        }
    }

    internal ImageDecoder CreateDecoder(bool leaveBgr = false) => new(Width, Height, ColorMode, ResizeMode, Interpolation, ReducedDecode)
    {
        MaxPixels = MaxImagePixels,
        AcceptTruncatedJpeg = AcceptTruncatedJpeg,
        HonorExifOrientation = HonorExifOrientation,
        CenterCropFraction = CenterCropFraction,
        LeaveBgr = leaveBgr,
    };

    internal int Channels => ColorMode == ColorMode.Grayscale ? 1 : 3;

    // Output

    /// <summary>The element type of the batch tensors: normalized float32, or the uint8 pixels as they are.</summary>
    /// <remarks>With <see cref="TensorElementType.UInt8"/> the batches hold 0–255 pixels in <see cref="Batching.Batch.ByteData"/> (the values
    /// a <see cref="NormalizationOptions.None"/> float batch holds), in <see cref="Layout"/>, for a trainer that normalizes on the device;
    /// <see cref="Normalization"/> must then be <see cref="NormalizationOptions.None"/> (scale 1, mean 0, std 1), so that nothing is
    /// asked of the pipeline that it would silently not do.</remarks>
    /// <value><see cref="TensorElementType.Float32"/>.</value>
    public TensorElementType Output { get; init; } = TensorElementType.Float32;

    /// <summary>How a dataset's targets (boxes, keypoints, masks) leave the pipeline and which survive the transforms.</summary>
    /// <remarks>Used only when the source's <see cref="Discovery.SampleSet"/> has a <see cref="Discovery.SampleSet.TargetSchema"/>; see docs/targets.md.</remarks>
    /// <value><see cref="Targets.TargetOptions.Default"/>.</value>
    public Targets.TargetOptions Targets { get; init; } = Pipeline.Targets.TargetOptions.Default;

    /// <summary>The decoded-image cache: later epochs take each sample's decoded, resized pixels from memory or a file instead of reading and decoding it again.</summary>
    /// <remarks>See <see cref="DecodedImageCacheOptions"/> for where entries live, and when batches are bit-identical to an uncached run.</remarks>
    /// <value>null: no cache.</value>
    public DecodedImageCacheOptions? Cache { get; init; }

    private void CheckOutput(OptionChecks checks)
    {
        if (checks.Defined(Output, nameof(Output)) && Output == TensorElementType.UInt8 && Normalization is not null && !Normalization.IsIdentity)
        {
            checks.Add(nameof(Normalization),
                $"Parameter \"{nameof(Output)}\" is {nameof(TensorElementType.UInt8)}, which writes pixels unnormalized: \"{nameof(Normalization)}\" must be none (scale 1, mean 0, std 1), was {Normalization}.");
        }
    }
}
