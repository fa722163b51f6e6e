namespace Dataflow.Pipeline.Diagnostics;

/// <summary>
/// The names of the pipeline's <see cref="System.Diagnostics.Metrics"/> instruments, for
/// <c>dotnet-counters monitor --counters Dataflow.Pipeline</c> and OpenTelemetry's <c>AddMeter</c>.
/// </summary>
/// <remarks>
/// Every pipeline records to the meter <see cref="MeterName"/>: the process-wide one, or the one its
/// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> creates (<see cref="ImagePipelineBuilder.UseMeterFactory"/>).
/// Counts are summed over the pipelines of the process; a skip carries its stage as the tag <c>stage</c>,
/// busy time its stage, a queue depth its block as the tag <c>block</c>.
/// </remarks>
public static class PipelineInstruments
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Dataflow.Pipeline";

    /// <summary>Counter: images whose bytes were read (unit <c>{image}</c>).</summary>
    public const string ImagesRead = "dataflow.pipeline.images.read";

    /// <summary>Counter: images decoded (unit <c>{image}</c>).</summary>
    public const string ImagesDecoded = "dataflow.pipeline.images.decoded";

    /// <summary>Counter: images handed over in batches (unit <c>{image}</c>).</summary>
    public const string ImagesBatched = "dataflow.pipeline.images.batched";

    /// <summary>Counter: images skipped, tagged with the failing <c>stage</c> (unit <c>{image}</c>).</summary>
    public const string ImagesSkipped = "dataflow.pipeline.images.skipped";

    /// <summary>Counter: batches handed over (unit <c>{batch}</c>).</summary>
    public const string Batches = "dataflow.pipeline.batches";

    /// <summary>Counter: encoded bytes read (unit <c>By</c>).</summary>
    public const string BytesRead = "dataflow.pipeline.bytes.read";

    /// <summary>Counter: busy time of a <c>stage</c>, summed over its workers (unit <c>s</c>).</summary>
    public const string StageBusyTime = "dataflow.pipeline.stage.busy_time";

    /// <summary>
    /// Observable gauge: messages waiting in or leaving each <c>block</c> of the running pipelines (unit <c>{message}</c>).
    /// Where small images travel in chunks (docs/architecture.md), a read or decode message is a chunk of samples.
    /// </summary>
    public const string QueueDepth = "dataflow.pipeline.queue.depth";
}
