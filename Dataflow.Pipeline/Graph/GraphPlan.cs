using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Graph;

/// <summary>What the graph of a run looks like.</summary>
internal enum GraphShape
{
    /// <summary>read → decode (with augment and normalize) in chunks of consecutive positions → regroup → assemble → deliver.</summary>
    Chunked,

    /// <summary>read → [user stages after read] → decode with augment and normalize in one block → batch → assemble → deliver.</summary>
    Fused,

    /// <summary>read → [user] → decode → [user] → augment → [user] → normalize → batch → assemble → deliver.</summary>
    Split,
}

/// <summary>How the read stage gets a sample's bytes.</summary>
internal enum ReadMode
{
    /// <summary>The source reads on the calling thread (<see cref="Discovery.ISampleSource.ReadsOnCallingThread"/>): a synchronous block, no task per sample.</summary>
    OnCallingThread,

    /// <summary>One asynchronous read per sample (<see cref="ISampleSource.ReadAsync"/>).</summary>
    Asynchronous,

    /// <summary>Each epoch's samples come from the source's stream, in the planned order (<see cref="Discovery.ISampleSource.OpenStream"/>).</summary>
    Streamed,
}

/// <summary>What a source can do, as the graph plan sees it.</summary>
/// <param name="ReadsOnCallingThread">The source reads a sample's bytes on the calling thread.</param>
/// <param name="CanStream">The source can stream an epoch's samples in order.</param>
internal readonly record struct SourceCapabilities(bool ReadsOnCallingThread, bool CanStream)
{
    /// <summary>The one place a source's capabilities are read: the members it declares.</summary>
    public static SourceCapabilities Of(ISampleSource source) => new(source.ReadsOnCallingThread, source.CanStream);
}

/// <summary>
/// The graph of one run, decided once, as data, by <see cref="Decide"/>: a pure function of the frozen options, the
/// source's capabilities and the user's stages. <see cref="PipelineGraph"/> builds exactly this; nothing else decides
/// the shape, the pixel order, the source crop, the read mode or the cache's place.
/// </summary>
/// <param name="Shape">The topology.</param>
/// <param name="ChunkSize">Samples per message through read and decode: above 1 only for <see cref="GraphShape.Chunked"/>.</param>
/// <param name="Pixels">The channel order between decode and normalize, and whether the normalizer swaps it.</param>
/// <param name="SourceCrop">The first augmentation when it crops the source image inside decode (fused with the resize), or null.</param>
/// <param name="Read">How bytes arrive.</param>
/// <param name="Cached">The decoded-image cache wraps read and decode.</param>
/// <param name="ReadStage">The read block's options as it runs.</param>
/// <param name="DecodeStage">The decode block's options (in the fused and chunked shapes it also augments and normalizes).</param>
/// <param name="AugmentStage">The augment block's options; null when no augment block is built.</param>
/// <param name="NormalizeStage">The normalize block's options; null when no normalize block is built.</param>
/// <param name="Unused">Stage options set away from their defaults that this shape does not run (named as the option).</param>
internal sealed record GraphPlan(
    GraphShape Shape,
    int ChunkSize,
    PixelOrder Pixels,
    ISourceCropAugmentation? SourceCrop,
    ReadMode Read,
    bool Cached,
    StageOptions ReadStage,
    StageOptions DecodeStage,
    StageOptions? AugmentStage,
    StageOptions? NormalizeStage,
    IReadOnlyList<string> Unused)
{
    /// <summary>The fewest samples in a chunk.</summary>
    internal const int MinChunk = 4;

    /// <summary>Values (width × height × channels) per message below which images travel in chunks.</summary>
    internal const long ChunkPixels = 16_384;

    /// <summary>The most samples in one message.</summary>
    internal const int MaxChunk = 16;

    private static readonly PipelineOptions Defaults = new();

    /// <summary>Decides the graph of a run.</summary>
    /// <param name="options">The run's frozen options.</param>
    /// <param name="source">What the source can do.</param>
    /// <param name="userStages">Where the user's stages sit.</param>
    public static GraphPlan Decide(PipelineOptions options, SourceCapabilities source, IReadOnlyList<StagePosition> userStages)
    {
        int k = ChunkSizeFor(options, source.ReadsOnCallingThread, userStages.Count > 0);
        bool fused = userStages.All(p => p == StagePosition.AfterRead);
        GraphShape shape = k > 1 ? GraphShape.Chunked : fused ? GraphShape.Fused : GraphShape.Split;
        ISourceCropAugmentation? crop = options.Augmentations.Count > 0 ? options.Augmentations[0] as ISourceCropAugmentation : null;
        bool augments = options.Augmentations.Count > (crop is null ? 0 : 1);

        // Chunks are read only by a source that reads on the calling thread; streaming is for one sample per message,
        // and never with the cache (it serves later epochs without reading, which an epoch's stream cannot skip).
        ReadMode read = shape == GraphShape.Chunked ? ReadMode.OnCallingThread
            : source.CanStream && options.Cache is null ? ReadMode.Streamed
            : source.ReadsOnCallingThread ? ReadMode.OnCallingThread
            : ReadMode.Asynchronous;

        // Reads of a whole chunk run on one worker; as many readers as decoders keeps up with them (a chunk of small
        // local files reads in about half the time its decode takes). A stream is read by one worker, in order (its
        // own read-ahead runs inside the source, within the source's bounds).
        StageOptions readStage = shape == GraphShape.Chunked
            ? options.Read with { MaxDegreeOfParallelism = Math.Min(options.Read.MaxDegreeOfParallelism, options.Decode.MaxDegreeOfParallelism) }
            : read == ReadMode.Streamed ? options.Read with { MaxDegreeOfParallelism = 1 }
            : options.Read;
        StageOptions? augmentStage = shape == GraphShape.Split && augments ? options.Augment : null;
        StageOptions? normalizeStage = shape == GraphShape.Split ? options.Normalize : null;

        var unused = new List<string>();
        if (augmentStage is null && options.Augment != Defaults.Augment)
        {
            unused.Add(nameof(PipelineOptions.Augment));
        }

        if (normalizeStage is null && options.Normalize != Defaults.Normalize)
        {
            unused.Add(nameof(PipelineOptions.Normalize));
        }

        return new GraphPlan(shape, k, PixelOrder.Choose(options, fused), crop, read, options.Cache is not null,
            readStage, options.Decode, augmentStage, normalizeStage, unused);
    }

    /// <summary>
    /// How many samples travel in one message through read and decode. A message costs the same whatever it carries
    /// (the blocks' hand-offs, ordering and task wake-ups: a few microseconds), which is nothing beside a photo's 1.3 ms
    /// decode and a large share of a 20×20 digit's 25 µs: images of at most <see cref="ChunkPixels"/> / k values go in
    /// chunks of k (at most <see cref="MaxChunk"/>), and never fewer than one chunk per decode worker per batch (on
    /// digits one chunk per worker and batch beat two). Chunks under <see cref="MinChunk"/> are not worth it: one sample
    /// per message then. Only for a source that reads on the calling thread and a graph without user stages (which take
    /// single samples).
    /// </summary>
    internal static int ChunkSizeFor(PipelineOptions options, bool synchronousRead, bool userStages)
    {
        if (!synchronousRead || userStages)
        {
            return 1;
        }

        long values = (long)options.Width * options.Height * options.Channels;
        int bySize = (int)Math.Clamp(ChunkPixels / Math.Max(1, values), 1, MaxChunk);
        int byWorkers = Math.Max(1, options.BatchSize / options.Decode.MaxDegreeOfParallelism);
        int k = Math.Min(bySize, byWorkers);
        return k >= MinChunk ? k : 1;
    }

    /// <summary>The graph in one line, for the report: its blocks in order with their workers, and the options it does not use.</summary>
    public string Describe(IReadOnlyList<string> userStageNames)
    {
        string users = userStageNames.Count == 0 ? "" : $" (user stages: {string.Join(", ", userStageNames)})";
        string body = Shape switch
        {
            GraphShape.Chunked => $"chunked by {ChunkSize}: read ×{ReadStage.MaxDegreeOfParallelism} → {PipelineGraph.FusedBlockName} ×{DecodeStage.MaxDegreeOfParallelism} → regroup → assemble → deliver",
            GraphShape.Fused => $"fused: read ×{ReadStage.MaxDegreeOfParallelism} → {PipelineGraph.FusedBlockName} ×{DecodeStage.MaxDegreeOfParallelism} → batch → assemble → deliver",
            _ => $"split: read ×{ReadStage.MaxDegreeOfParallelism} → decode ×{DecodeStage.MaxDegreeOfParallelism}"
                + (AugmentStage is { } a ? $" → augment ×{a.MaxDegreeOfParallelism}" : "")
                + $" → normalize ×{NormalizeStage!.MaxDegreeOfParallelism} → batch → assemble → deliver",
        };
        string read = Read switch
        {
            ReadMode.Streamed => "streamed",
            ReadMode.Asynchronous => "asynchronous",
            _ => "on the calling thread",
        };
        string unused = Unused.Count == 0 ? "" : $"; {string.Join(" and ", Unused)} stage options not used by this shape (set Decode instead)";
        return $"{body}{users}; reads {read}{(Cached ? "; decoded-image cache around read and decode" : "")}{unused}";
    }
}
