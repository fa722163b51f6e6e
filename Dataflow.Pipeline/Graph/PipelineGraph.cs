using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// The block graph of one run, linked in one place:
/// read → [user stages] → decode → [user] → augment → [user] → normalize → batch → assemble → deliver.
/// When no user stage sits between decode and normalize, those three run in one block.
/// </summary>
internal sealed class PipelineGraph
{
    private readonly List<IDataflowBlock> _blocks = [];
    private readonly List<IPropagatorBlock<ImageSample, ImageSample>> _userBlocks = [];
    private readonly StageRunner _runner;
    private readonly PipelineReport _report;
    private readonly CancellationToken _token;
    private int _sampleCapacity;

    public PipelineGraph(PipelineOptions options, GraphStages stages, IReadOnlyList<ImagePipeline.UserStage> userStages,
        StageRunner runner, PipelineReport report, Delivery delivery, CancellationToken token)
    {
        _runner = runner;
        _report = report;
        _token = token;
        bool fused = userStages.All(s => s.Position == StagePosition.AfterRead);

        // The per-image chain. Each block keeps message order (EnsureOrdered), which is what lets the
        // batch block group positions into the planned batches whatever the parallelism.
        var chain = new List<IPropagatorBlock<ImageSample, ImageSample>>
        {
            // A source that reads on the calling thread (local files) needs no task per sample.
            stages.Read.IsSynchronous ? Stage("read", options.Read, stages.Read.Read) : Async("read", options.Read, stages.Read.ReadAsync),
        };
        AddUserStages(chain, userStages, StagePosition.AfterRead);
        if (fused)
        {
            // One block decodes, augments and normalizes each image: two message hops fewer per image, and
            // exactly one CPU worker per core (docs/performance.md). Each step keeps its own clock and stage name.
            StageClock decode = report.Clock("decode"), augment = report.Clock("augment"), normalize = report.Clock("normalize");
            chain.Add(Block("decode", options.Decode, s =>
            {
                runner.Run(s, "decode", decode, stages.Decode.Decode);
                if (stages.Augment.HasWork)
                {
                    runner.Run(s, "augment", augment, stages.Augment.Augment);
                }

                return stages.Normalize.Finish(runner.Run(s, "normalize", normalize, stages.Normalize.Normalize));
            }));
        }
        else
        {
            chain.Add(Stage("decode", options.Decode, stages.Decode.Decode));
            AddUserStages(chain, userStages, StagePosition.AfterDecode);
            if (stages.Augment.HasWork)
            {
                chain.Add(Stage("augment", options.Augment, stages.Augment.Augment));
            }

            AddUserStages(chain, userStages, StagePosition.AfterAugment);
            StageClock normalize = report.Clock("normalize");
            chain.Add(Block("normalize", options.Normalize, s => stages.Normalize.Finish(runner.Run(s, "normalize", normalize, stages.Normalize.Normalize))));
        }

        var batch = new BatchBlock<ImageSample>(options.BatchSize,
            new GroupingDataflowBlockOptions { BoundedCapacity = 2 * options.BatchSize, CancellationToken = token, NameFormat = "batch" });
        var assemble = new TransformManyBlock<ImageSample[], Batch>(stages.Assemble.Assemble,
            new ExecutionDataflowBlockOptions { BoundedCapacity = 2, MaxDegreeOfParallelism = 1, CancellationToken = token, NameFormat = "assemble" });
        ITargetBlock<Batch> terminal = delivery.CreateTarget(options.PrefetchBatches, token);

        var link = new DataflowLinkOptions { PropagateCompletion = true };
        for (int i = 0; i + 1 < chain.Count; i++)
        {
            chain[i].LinkTo(chain[i + 1], link);
        }

        chain[^1].LinkTo(batch, link);
        batch.LinkTo(assemble, link);
        assemble.LinkTo(terminal, link);
        _blocks.AddRange(chain);
        _blocks.Add(batch);
        _blocks.Add(assemble);
        _blocks.Add(terminal);
        Head = chain[0];
    }

    /// <summary>Where the producer sends each planned position.</summary>
    public ITargetBlock<ImageSample> Head { get; }

    /// <summary>Every block, in graph order.</summary>
    public IReadOnlyList<IDataflowBlock> Blocks => _blocks;

    /// <summary>Blocks added by the user with <c>AddBlock</c>; they do not share the run's token.</summary>
    public IReadOnlyList<IPropagatorBlock<ImageSample, ImageSample>> UserBlocks => _userBlocks;

    /// <summary>The sum of the capacities of the blocks built between read and normalize: the most samples holding image data at once.</summary>
    public int SampleCapacity => _sampleCapacity;

    private TransformBlock<ImageSample, ImageSample> Stage(string name, StageOptions stage, Action<ImageSample> work)
    {
        StageClock clock = _report.Clock(name);
        return Block(name, stage, s => _runner.Run(s, name, clock, work));
    }

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

    private void AddUserStages(List<IPropagatorBlock<ImageSample, ImageSample>> chain, IReadOnlyList<ImagePipeline.UserStage> stages, StagePosition position)
    {
        foreach (ImagePipeline.UserStage stage in stages.Where(s => s.Position == position))
        {
            if (stage.Block is not null)
            {
                // Its capacity is not visible through IPropagatorBlock, so it cannot be counted.
                chain.Add(stage.Block);
                _userBlocks.Add(stage.Block);
            }
            else
            {
                chain.Add(Stage(stage.Name, stage.Options ?? StageOptions.ForCpu(), stage.Action!));
            }
        }
    }
}
