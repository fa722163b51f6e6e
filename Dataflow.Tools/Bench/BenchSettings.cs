using Dataflow.Pipeline;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Commands;

namespace Dataflow.Tools.Bench;

/// <summary>What one bench run measures: the dataset, the image settings shared by every variant, and the pipeline's knobs.</summary>
internal sealed record BenchSettings
{
    /// <summary>The dataset root (one sub-folder per class).</summary>
    public required string Data { get; init; }

    /// <summary>Target width.</summary>
    public int Width { get; init; } = 224;

    /// <summary>Target height.</summary>
    public int Height { get; init; } = 224;

    /// <summary>Colour mode of every variant (the ceiling decodes gray for <see cref="ColorMode.Grayscale"/>, BGR otherwise).</summary>
    public ColorMode Color { get; init; } = ColorMode.Rgb;

    /// <summary>Resampling of every variant.</summary>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    /// <summary>The pipeline's normalization preset.</summary>
    public string Normalization { get; init; } = "imagenet";

    /// <summary>Whether the pipeline applies a random horizontal flip.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Passes over the dataset per measurement (the ceiling makes as many).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>OpenCV's own thread count (<c>Cv2.SetNumThreads</c>); null leaves OpenCV's default.</summary>
    public int? OpenCvThreads { get; init; }

    /// <summary>Threads of the ceiling's tight loop; null for one per core.</summary>
    public int? CeilingThreads { get; init; }

    /// <summary>Degree of parallelism of the pipeline's CPU stages; null for the library's defaults.</summary>
    public int? Parallelism { get; init; }

    /// <summary>Adds a no-op user stage after augment, which splits decode, augment and normalize into their own blocks (for comparison with the fused block).</summary>
    public bool SplitStages { get; init; }

    /// <summary>The shuffle buffer of the shard variants that stream (<c>shards-*</c>), in samples; also what their shard stream may hold.</summary>
    public int ShuffleBuffer { get; init; } = 256;

    /// <summary><c>StorageOptions.MaxBytesInFlight</c> of the storage variants, in MiB; null for the library's default.</summary>
    public int? BytesInFlightMiB { get; init; }

    /// <summary>The pipeline options this bench runs with, reduced decode on or off; with <paramref name="bytes"/> uint8 batches
    /// (no normalization), with <paramref name="cache"/> the decoded-image cache in memory.</summary>
    public PipelineOptions PipelineOptions(bool reducedDecode, bool bytes = false, bool cache = false)
    {
        StageOptions? cpu = Parallelism is int p ? new StageOptions(p, 2 * p) : null;
        PipelineOptions options = new PipelineSettings
        {
            Size = new ImageSize(Width, Height),
            Color = Color,
            Seed = 1,
            BatchSize = BatchSize,
            Epochs = Epochs,
            AugmentName = Flip ? "flip" : "none",
            Augmentations = Flip ? [new RandomHorizontalFlip()] : [],
            Normalization = NormalizationOptions.Presets[Normalization],
            Decode = cpu,
            Augment = cpu,
            Normalize = cpu,
        }.For(Dataflow.Pipeline.Discovery.Subset.Training);
        return options with
        {
            Interpolation = Interpolation,
            ReducedDecode = reducedDecode,
            Normalization = bytes ? NormalizationOptions.None : options.Normalization,
            Output = bytes ? TensorElementType.UInt8 : TensorElementType.Float32,
            Cache = cache ? new Dataflow.Pipeline.Caching.DecodedImageCacheOptions() : null,
        };
    }

    /// <summary>The arguments that make a child process run <paramref name="variant"/> with these settings.</summary>
    public IEnumerable<string> ChildArguments(string variant)
    {
        yield return "--variant";
        yield return variant;
        yield return "--data";
        yield return Data;
        yield return "--width";
        yield return Width.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--height";
        yield return Height.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--color";
        yield return EnumSpellings.Of(Color);
        yield return "--interpolation";
        yield return EnumSpellings.Of(Interpolation);
        yield return "--normalization";
        yield return Normalization;
        yield return "--flip";
        yield return Flip ? "true" : "false";
        yield return "--batch-size";
        yield return BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--epochs";
        yield return Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (OpenCvThreads is int t)
        {
            yield return "--opencv-threads";
            yield return t.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (CeilingThreads is int c)
        {
            yield return "--ceiling-threads";
            yield return c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (SplitStages)
        {
            yield return "--split-stages";
        }

        if (Parallelism is int p)
        {
            yield return "--parallelism";
            yield return p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        yield return "--shuffle-buffer";
        yield return ShuffleBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (BytesInFlightMiB is int mib)
        {
            yield return "--bytes-in-flight";
            yield return mib.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
