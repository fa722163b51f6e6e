namespace Dataflow.Tools.Bench;

/// <summary>One variant measured once, in its own process.</summary>
/// <param name="Variant">One of <see cref="BenchVariant.Names"/>.</param>
/// <param name="Images">Images processed.</param>
/// <param name="Seconds">Wall time from start to the last image.</param>
/// <param name="CpuMsPerImage">Process CPU time (user + system, all threads) per image.</param>
/// <param name="PeakRssMiB">The process's peak resident set (VmHWM), whole life of the process.</param>
/// <param name="AllocatedBytesPerImage">Managed bytes allocated per image in steady state (all threads).</param>
/// <param name="Gen0">Gen-0 collections during the run.</param>
/// <param name="Gen1">Gen-1 collections during the run.</param>
/// <param name="Gen2">Gen-2 collections during the run.</param>
/// <param name="FirstBatchSeconds">Start of the pipeline to the trainer's first batch; for a ceiling, from before its listing to its batch-size-th resized image.</param>
/// <param name="TrainerMsPerImage">Time inside the trainer callback per image (reading the batch; 0 for a ceiling): CPU the bench's stand-in for a model spends, not the pipeline.</param>
/// <param name="Checksum">A value derived from every output, so nothing is optimised away.</param>
internal sealed record BenchMeasurement(
    string Variant,
    long Images,
    double Seconds,
    double CpuMsPerImage,
    double PeakRssMiB,
    double AllocatedBytesPerImage,
    int Gen0,
    int Gen1,
    int Gen2,
    double? FirstBatchSeconds,
    double TrainerMsPerImage,
    double Checksum)
{
    /// <summary>Busy time per pipeline stage per image, summed over its workers (wall time inside the stage, so it includes waiting for a core).</summary>
    public IReadOnlyDictionary<string, double>? StageMsPerImage { get; init; }

    /// <summary>Throughput of the epochs after the first: their images over the time from the first epoch's last batch to the end (null for one epoch, or a ceiling).</summary>
    /// <remarks>What a cache is for: the ceiling decodes every epoch, a cached pipeline only the first.</remarks>
    public double? LaterEpochsImagesPerSecond { get; init; }

    /// <summary>Discovery alone (the discover variants): listing the tree or reading its index.</summary>
    public double? DiscoverySeconds { get; init; }

    /// <summary>Selecting the subset and planning the first epoch (the discover variants).</summary>
    public double? PlanSeconds { get; init; }

    /// <summary>Managed bytes the discovered set, the selection and the first epoch's plan keep, per sample (the discover variants).</summary>
    public double? RetainedBytesPerSample { get; init; }

    /// <summary>Throughput.</summary>
    public double ImagesPerSecond => Images / Seconds;
}

/// <summary>
/// The measurement's JSON, generated at compile time: the child that prints it may be a native AOT executable, where
/// reflection-based serialization is not available.
/// </summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(BenchMeasurement))]
internal sealed partial class BenchMeasurementJson : System.Text.Json.Serialization.JsonSerializerContext;
