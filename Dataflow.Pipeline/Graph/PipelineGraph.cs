using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// The block graph of one run, linked in one place, exactly as its <see cref="GraphPlan"/> says: one
/// <c>LinkTo</c> chain per <see cref="GraphShape"/>.
/// </summary>
internal sealed class PipelineGraph
{
    /// <summary>The block that decodes, augments and normalizes each image in the fused and chunked shapes.</summary>
    internal const string FusedBlockName = "decode-augment-normalize";

    private readonly List<IDataflowBlock> _blocks = [];
    private readonly List<IPropagatorBlock<ImageSample, ImageSample>> _userBlocks = [];
    private readonly List<Action> _drains = [];
    private readonly StageRunner _runner;
    private readonly PipelineReport _report;
    private readonly CancellationToken _token;
    private int _sampleCapacity;

    public PipelineGraph(GraphPlan plan, PipelineOptions options, GraphStages stages, IReadOnlyList<ImagePipeline.UserStage> userStages,
        StageRunner runner, PipelineReport report, Delivery delivery, CancellationToken token)
    {
        _runner = runner;
        _report = report;
        _token = token;
        Plan = plan;
        switch (plan.Shape)
        {
            case GraphShape.Chunked:
                ChunkHead = BuildChunked(plan, options, stages, delivery);
                break;
            case GraphShape.Fused:
                // One block decodes, augments and normalizes each image: two message hops fewer per image, and
                // exactly one CPU worker per core (docs/dev/performance-log.md). Each step keeps its own clock and stage name.
                Head = BuildPerSample(options, stages, delivery,
                    [ReadBlock(plan, stages), .. UserStages(userStages, StagePosition.AfterRead), Block(FusedBlockName, plan.DecodeStage, DecodeToRow(stages))]);
                break;
            case GraphShape.Split:
                Func<ImageSample, ImageSample> normalize = Step("normalize", stages.Normalize.Normalize);
                Head = BuildPerSample(options, stages, delivery,
                [
                    ReadBlock(plan, stages),
                    .. UserStages(userStages, StagePosition.AfterRead),
                    Stage("decode", plan.DecodeStage, stages.Decode.Decode),
                    .. UserStages(userStages, StagePosition.AfterDecode),
                    .. plan.AugmentStage is { } augment ? [Stage("augment", augment, stages.Augment.Augment)] : Array.Empty<IPropagatorBlock<ImageSample, ImageSample>>(),
                    .. UserStages(userStages, StagePosition.AfterAugment),
                    Block("normalize", plan.NormalizeStage!, s => stages.Normalize.Finish(normalize(s))),
                ]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(plan), plan.Shape, "Unknown graph shape.");
        }

        // Dataflow does not purge a block whose input had already ended when it is cancelled: the messages left in its
        // output wait for a target for ever and its Completion never ends (dotnet/runtime#27357), so a run cancelled
        // after its last position was sent (a trainer that stops at the last epoch) hung. On cancellation every block
        // gets a last target that takes everything; what those messages hold is returned by the ledger with the rest.
        token.Register(static state =>
        {
            foreach (Action drain in (List<Action>)state!)
            {
                drain();
            }
        }, _drains);
    }

    private static readonly DataflowLinkOptions Link = new() { PropagateCompletion = true };

    /// <summary>The plan this graph was built from.</summary>
    public GraphPlan Plan { get; }

    /// <summary>Where the producer sends each planned position (one sample per message); null when <see cref="ChunkSize"/> is above 1.</summary>
    public ITargetBlock<ImageSample>? Head { get; }

    /// <summary>Where the producer sends chunks of <see cref="ChunkSize"/> consecutive positions of one batch; null for one sample per message.</summary>
    public ITargetBlock<ImageSample[]>? ChunkHead { get; }

    /// <summary>Samples per message through read and decode: 1, or more for small images (<see cref="GraphPlan.ChunkSizeFor"/>).</summary>
    public int ChunkSize => Plan.ChunkSize;

    /// <summary>Ends the graph's input: what was sent still flows through.</summary>
    public void CompleteHead()
    {
        Head?.Complete();
        ChunkHead?.Complete();
    }

    /// <summary>
    /// read → decode (with augment and normalize) → regroup into batches → assemble → deliver, each message a chunk of
    /// consecutive positions of one batch. Each block's capacity is its samples' capacity in chunks (at least two per
    /// worker), so the samples held stay within about the same bound as one sample per message.
    /// </summary>
    private ITargetBlock<ImageSample[]> BuildChunked(GraphPlan plan, PipelineOptions options, GraphStages stages, Delivery delivery)
    {
        int k = plan.ChunkSize;
        var readBlock = ChunkBlock("read", plan.ReadStage, k, Step("read", stages.Read.Read));
        var decodeBlock = ChunkBlock(FusedBlockName, plan.DecodeStage, k, DecodeToRow(stages));

        // Chunks tile each batch (the producer never lets one straddle two), so a batch is complete exactly when its
        // chunks add up to the batch size; one worker, in order, as the batch block it replaces.
        int batchSize = options.BatchSize;
        var pending = new List<ImageSample>(batchSize);
        var regroup = new TransformManyBlock<ImageSample[], ImageSample[]>(chunk =>
        {
            pending.AddRange(chunk);
            if (pending.Count < batchSize)
            {
                return [];
            }

            if (pending.Count > batchSize)
            {
                throw new InvalidOperationException($"A chunk straddled two batches: {pending.Count} positions gathered for a batch of {batchSize}.");
            }

            ImageSample[] group = [.. pending];
            pending.Clear();
            return [group];
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = 2 * Math.Max(1, (batchSize + k - 1) / k), MaxDegreeOfParallelism = 1, CancellationToken = _token, NameFormat = "regroup" });
        readBlock.LinkTo(decodeBlock, Link);
        decodeBlock.LinkTo(regroup, Link);
        _blocks.AddRange([readBlock, decodeBlock]);
        DrainOnCancel(readBlock);
        DrainOnCancel(decodeBlock);
        LinkBatches(regroup, options, stages, delivery);
        return readBlock;
    }

    /// <summary>
    /// The per-image chain, then batch → assemble → deliver. Each block keeps message order (EnsureOrdered), which is
    /// what lets the batch block group positions into the planned batches whatever the parallelism.
    /// </summary>
    private ITargetBlock<ImageSample> BuildPerSample(PipelineOptions options, GraphStages stages, Delivery delivery, List<IPropagatorBlock<ImageSample, ImageSample>> chain)
    {
        var batch = new BatchBlock<ImageSample>(options.BatchSize,
            new GroupingDataflowBlockOptions { BoundedCapacity = 2 * options.BatchSize, CancellationToken = _token, NameFormat = "batch" });
        for (int i = 0; i + 1 < chain.Count; i++)
        {
            chain[i].LinkTo(chain[i + 1], Link);
        }

        chain[^1].LinkTo(batch, Link);
        _blocks.AddRange(chain);
        chain.ForEach(DrainOnCancel);
        LinkBatches(batch, options, stages, delivery);
        return chain[0];
    }

    /// <summary>The read block: synchronous for a source that reads on the calling thread (no task per sample), else asynchronous.</summary>
    private IPropagatorBlock<ImageSample, ImageSample> ReadBlock(GraphPlan plan, GraphStages stages) => plan.Read == ReadMode.OnCallingThread
        ? Stage("read", plan.ReadStage, stages.Read.Read)
        : Async("read", plan.ReadStage, stages.Read.ReadAsync);

    /// <summary>The tail both graphs share: the block that groups batches → assemble → deliver.</summary>
    private void LinkBatches(ISourceBlock<ImageSample[]> batches, PipelineOptions options, GraphStages stages, Delivery delivery)
    {
        var assemble = new TransformManyBlock<ImageSample[], Batch>(stages.Assemble.Assemble,
            new ExecutionDataflowBlockOptions { BoundedCapacity = 2, MaxDegreeOfParallelism = 1, CancellationToken = _token, NameFormat = "assemble" });
        ITargetBlock<Batch> terminal = delivery.CreateTarget(options.PrefetchBatches, _token);
        batches.LinkTo(assemble, Link);
        assemble.LinkTo(terminal, Link);
        _blocks.AddRange([batches, assemble, terminal]);
        DrainOnCancel(batches);
        DrainOnCancel(assemble);
        if (terminal is ISourceBlock<Batch> stream)
        {
            DrainOnCancel(stream);
        }
    }

    /// <summary>Links <paramref name="block"/> to a target that takes everything, once the run is cancelled (see the constructor).</summary>
    private void DrainOnCancel<T>(ISourceBlock<T> block) => _drains.Add(() => block.LinkTo(DataflowBlock.NullTarget<T>()));

    /// <summary>
    /// Decode, augment (when there is work) and normalize of one sample, each step with its own clock and stage name;
    /// the sample then holds only its row of the batch tensor.
    /// </summary>
    private Func<ImageSample, ImageSample> DecodeToRow(GraphStages stages)
    {
        Func<ImageSample, ImageSample> decode = Step("decode", stages.Decode.Decode);
        Func<ImageSample, ImageSample>? augment = stages.Augment.HasWork ? Step("augment", stages.Augment.Augment) : null;
        Func<ImageSample, ImageSample> normalize = Step("normalize", stages.Normalize.Normalize);
        return s =>
        {
            decode(s);
            augment?.Invoke(s);
            return stages.Normalize.Finish(normalize(s));
        };
    }

    /// <summary>A stage body wrapped by the stage runner (its clock, its skips, the error policy).</summary>
    private Func<ImageSample, ImageSample> Step(string name, Action<ImageSample> work)
    {
        StageClock clock = _report.Clock(name);
        StageRunner runner = _runner;
        return s => runner.Run(s, name, clock, work);
    }

    /// <summary>A block running <paramref name="step"/> on every sample of each chunk, in order.</summary>
    private TransformBlock<ImageSample[], ImageSample[]> ChunkBlock(string name, StageOptions stage, int k, Func<ImageSample, ImageSample> step)
    {
        int chunks = Math.Max(2 * stage.MaxDegreeOfParallelism, (stage.BoundedCapacity + k - 1) / k);
        _sampleCapacity += chunks * k;
        return new TransformBlock<ImageSample[], ImageSample[]>(chunk =>
        {
            for (int i = 0; i < chunk.Length; i++)
            {
                chunk[i] = step(chunk[i]);
            }

            return chunk;
        }, Options(stage with { BoundedCapacity = chunks }, name));
    }

    /// <summary>Every block, in graph order.</summary>
    public IReadOnlyList<IDataflowBlock> Blocks => _blocks;

    /// <summary>Blocks added by the user with <c>AddBlock</c>; they do not share the run's token.</summary>
    public IReadOnlyList<IPropagatorBlock<ImageSample, ImageSample>> UserBlocks => _userBlocks;

    /// <summary>The sum of the capacities of the blocks built between read and normalize: the most samples holding image data at once.</summary>
    public int SampleCapacity => _sampleCapacity;

    private TransformBlock<ImageSample, ImageSample> Stage(string name, StageOptions stage, Action<ImageSample> work) => Block(name, stage, Step(name, work));

    private TransformBlock<ImageSample, ImageSample> Async(string name, StageOptions stage, Func<ImageSample, CancellationToken, ValueTask> work)
    {
        StageClock clock = _report.Clock(name);
        _sampleCapacity += stage.BoundedCapacity;
        return new TransformBlock<ImageSample, ImageSample>(s => _runner.RunAsync(s, name, clock, work), Options(stage, name));
    }

    private TransformBlock<ImageSample, ImageSample> Block(string name, StageOptions stage, Func<ImageSample, ImageSample> body)
    {
        _sampleCapacity += stage.BoundedCapacity;
        return new TransformBlock<ImageSample, ImageSample>(body, Options(stage, name));
    }

    // The block's name (its ToString) is the stage's: the queue-depth gauge reports it.
    private ExecutionDataflowBlockOptions Options(StageOptions stage, string name) => new()
    {
        NameFormat = name.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal),
        MaxDegreeOfParallelism = stage.MaxDegreeOfParallelism,
        BoundedCapacity = stage.BoundedCapacity,
        CancellationToken = _token,
    };

    /// <summary>A stage declared to change pixel values only, checked to keep the image's size (its targets stay where they are).</summary>
    private static Action<ImageSample> SizeKept(string name, Action<ImageSample> action) => sample =>
    {
        OpenCvSharp.Size? before = sample.Image?.Size();
        action(sample);
        if (before is { } size && sample.Image is { } image && image.Size() != size)
        {
            throw new InvalidOperationException(
                $"The stage '{name}' declared that it changes pixel values only (TargetBehavior.PixelsOnly), but made the {size.Width}x{size.Height} image {image.Width}x{image.Height}: its targets would no longer match.");
        }
    };

    private List<IPropagatorBlock<ImageSample, ImageSample>> UserStages(IReadOnlyList<ImagePipeline.UserStage> stages, StagePosition position)
    {
        var blocks = new List<IPropagatorBlock<ImageSample, ImageSample>>();
        foreach (ImagePipeline.UserStage stage in stages.Where(s => s.Position == position))
        {
            if (stage.Block is not null)
            {
                // Its capacity is not visible through IPropagatorBlock, so it cannot be counted.
                blocks.Add(stage.Block);
                _userBlocks.Add(stage.Block);
            }
            else
            {
                Action<ImageSample> action = stage.Targets == Targets.TargetBehavior.PixelsOnly && position != StagePosition.AfterRead
                    ? SizeKept(stage.Name, stage.Action!)
                    : stage.Action!;
                blocks.Add(Stage(stage.Name, stage.Options ?? StageOptions.ForCpu(), action));
            }
        }

        return blocks;
    }
}
