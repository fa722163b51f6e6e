using System.Runtime.CompilerServices;
using System.Diagnostics.Metrics;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Diagnostics;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Targets;
using Microsoft.Extensions.Logging;

namespace Dataflow.Pipeline;

/// <summary>
/// Builds an <see cref="ImagePipeline"/>: options, the sample source, and user stages placed between the
/// built-in ones. Single-use: a builder that has built once refuses further calls.
/// </summary>
/// <remarks>
/// <see cref="Build(Func{Batch, CancellationToken, ValueTask}, CancellationToken)"/> takes a frozen copy of the options
/// (as Dataflow's blocks copy theirs): their lists are copied and the normalization's per-channel values are put in the
/// order of <see cref="PipelineOptions.ColorMode"/>, so changing the caller's options, lists or presets afterwards changes
/// nothing for the built pipeline. <see cref="ImagePipeline.Options"/> returns that copy.
/// </remarks>
public sealed class ImagePipelineBuilder
{
    private readonly PipelineOptions _options;
    private readonly List<ImagePipeline.UserStage> _stages = [];
    private ISampleSource? _source;
    private IEpochPlanner? _planner;
    private Distributed.PipelineState? _resume;
    private Func<string, string?> _environment = Environment.GetEnvironmentVariable;
    private ILogger? _logger;
    private IMeterFactory? _meterFactory;
    private bool _built;

    /// <summary>Creates a builder.</summary>
    public ImagePipelineBuilder(PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Internal.StartupWarmup.Start();
    }

    /// <summary>Takes samples from <paramref name="source"/> instead of class folders on disk.</summary>
    public ImagePipelineBuilder UseSource(ISampleSource source)
    {
        ThrowIfBuilt();
        _source = source ?? throw new ArgumentNullException(nameof(source));
        return this;
    }

    /// <summary>
    /// Plans each epoch with <paramref name="planner"/> instead of the built-in <see cref="EpochPlanner"/> (which
    /// follows the options' batch size, seed, shuffles and drop-last). Its batch size must equal the options'.
    /// </summary>
    public ImagePipelineBuilder UsePlanner(IEpochPlanner planner)
    {
        ThrowIfBuilt();
        _planner = planner ?? throw new ArgumentNullException(nameof(planner));
        return this;
    }

    /// <summary>
    /// Continues a run from <paramref name="state"/> (a <see cref="Batch.State"/> saved with a checkpoint): the pipeline
    /// starts at the state's epoch and position, planned without reading or decoding what came before, and delivers
    /// exactly the batches the uninterrupted run would have delivered next. The world size may differ from the saved
    /// run's: the rest of the epoch is then split between the new ranks (each remaining sample exactly once).
    /// </summary>
    /// <remarks>The seed and the options that shape batches must be those of the saved run, and the dataset the same:
    /// otherwise building (options) or the run (dataset, checked at discovery) fails naming what differs.</remarks>
    public ImagePipelineBuilder ResumeFrom(Distributed.PipelineState state)
    {
        ThrowIfBuilt();
        _resume = state ?? throw new ArgumentNullException(nameof(state));
        return this;
    }

    /// <summary>
    /// Reads environment variables through <paramref name="variable"/> instead of the process's environment: the
    /// launcher variables (rank and world size, see <see cref="Distributed.LauncherEnvironment"/>) and those the storage
    /// packages read when the source opens a store (<c>AWS_ENDPOINT_URL_S3</c>, <c>AWS_ENDPOINT_URL</c>, <c>AWS_REGION</c>,
    /// <c>AWS_DEFAULT_REGION</c>, <c>AZURE_STORAGE_CONNECTION_STRING</c>).
    /// </summary>
    /// <remarks>The launcher variables set the rank and world size only with <see cref="PipelineOptions.ReadLauncherEnvironment"/> on;
    /// off, those set are named in <see cref="PipelineReport.UnreadLauncherVariables"/>. Storage reads them while the
    /// pipeline discovers its dataset; what the AWS SDK's own chains read (credentials, the profile's region) stays the process's.</remarks>
    public ImagePipelineBuilder UseEnvironment(Func<string, string?> variable)
    {
        ThrowIfBuilt();
        _environment = variable ?? throw new ArgumentNullException(nameof(variable));
        return this;
    }

    /// <summary>
    /// Adds a stage that runs <paramref name="action"/> on every sample at <paramref name="position"/>. An
    /// exception it throws is handled by the error policy, like a built-in stage's.
    /// </summary>
    /// <param name="position">Where the stage runs.</param>
    /// <param name="name">The stage's name in reports and errors.</param>
    /// <param name="action">The work on each sample.</param>
    /// <param name="options">Its parallelism and capacity, or null for one worker per core.</param>
    /// <param name="targets">
    /// What <paramref name="action"/> does to the sample's targets. On a dataset with targets (boxes, masks, keypoints) a
    /// stage after decode or augment is refused at run start unless it declares <see cref="TargetBehavior.PixelsOnly"/>
    /// (colour, blur, noise, a model's preprocessing in place): its targets then stay where they are, and a sample whose
    /// image the stage resized fails, naming the stage. A stage that moves pixels belongs in
    /// <see cref="PipelineOptions.Augmentations"/>, as an <see cref="Augmentation.IAugmentation"/> that records its geometry.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targets"/> is <see cref="TargetBehavior.RecordsGeometry"/>, which a stage cannot do.</exception>
    public ImagePipelineBuilder AddStage(StagePosition position, string name, Action<ImageSample> action, StageOptions? options = null, TargetBehavior targets = TargetBehavior.Undeclared)
    {
        ThrowIfBuilt();
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(action);
        if (targets is not (TargetBehavior.Undeclared or TargetBehavior.PixelsOnly))
        {
            throw new ArgumentOutOfRangeException(nameof(targets), targets,
                $"A stage can declare {nameof(TargetBehavior.Undeclared)} or {nameof(TargetBehavior.PixelsOnly)}; one that moves pixels is an IAugmentation in PipelineOptions.Augmentations that records its geometry.");
        }

        options?.Validate(name);
        _stages.Add(new ImagePipeline.UserStage(position, name, action, null, options, targets));
        return this;
    }

    /// <summary>
    /// Adds a Dataflow block at <paramref name="position"/>. It must pass on every message it receives, in
    /// order (set <c>BoundedCapacity</c> to keep memory bounded); it is linked with completion propagation.
    /// </summary>
    public ImagePipelineBuilder AddBlock(StagePosition position, IPropagatorBlock<ImageSample, ImageSample> block)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(block);
        _stages.Add(new ImagePipeline.UserStage(position, block.GetType().Name, null, block, null));
        return this;
    }

    /// <summary>Logs every skipped sample (warning, with path, epoch, stage and reason) and the run's outcome (a fault as an error) to <paramref name="logger"/>.</summary>
    /// <remarks>Without a logger nothing is logged; the report lists the skips either way.</remarks>
    public ImagePipelineBuilder UseLogger(ILogger logger)
    {
        ThrowIfBuilt();
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        return this;
    }

    /// <summary>
    /// Records the run's metrics (<see cref="PipelineInstruments"/>) on the <c>Dataflow.Pipeline</c> meter that
    /// <paramref name="meterFactory"/> creates, instead of the process-wide one (as with dependency injection).
    /// </summary>
    public ImagePipelineBuilder UseMeterFactory(IMeterFactory meterFactory)
    {
        ThrowIfBuilt();
        _meterFactory = meterFactory ?? throw new ArgumentNullException(nameof(meterFactory));
        return this;
    }

    /// <summary>Builds a pipeline that hands each batch to <paramref name="trainer"/>, then disposes the batch.</summary>
    /// <remarks>An <c>async</c> lambda fits both this overload and the <see cref="Task"/> one: it binds to this one.</remarks>
    /// <exception cref="PipelineOptionsException">Options are invalid; the message names each and its allowed values.</exception>
    /// <exception cref="DllNotFoundException">OpenCV's native library (<c>OpenCvSharpExtern</c>) does not load: the message names the runtime package to add and its version.</exception>
    [OverloadResolutionPriority(1)]
    public ImagePipeline Build(Func<Batch, CancellationToken, ValueTask> trainer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Create(trainer, cancellationToken);
    }

    /// <summary>Builds a pipeline that hands each batch to <paramref name="trainer"/>, a <see cref="Task"/>-returning step, then disposes the batch.</summary>
    /// <remarks>The same as the <see cref="ValueTask"/> overload: the next batch is handed over once the task has completed.</remarks>
    /// <exception cref="PipelineOptionsException">Options are invalid; the message names each and its allowed values.</exception>
    /// <exception cref="DllNotFoundException">OpenCV's native library (<c>OpenCvSharpExtern</c>) does not load: the message names the runtime package to add and its version.</exception>
    public ImagePipeline Build(Func<Batch, CancellationToken, Task> trainer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Create((b, ct) => new ValueTask(trainer(b, ct)), cancellationToken);
    }

    /// <summary>Builds a pipeline that hands each batch to a synchronous <paramref name="trainer"/>, then disposes the batch.</summary>
    public ImagePipeline Build(Action<Batch> trainer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Create((b, _) =>
        {
            trainer(b);
            return ValueTask.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>Builds a pipeline read with <see cref="ImagePipeline.ReadAllAsync"/>.</summary>
    /// <exception cref="PipelineOptionsException">Options are invalid; the message names each and its allowed values.</exception>
    /// <exception cref="DllNotFoundException">OpenCV's native library (<c>OpenCvSharpExtern</c>) does not load: the message names the runtime package to add and its version.</exception>
    public ImagePipeline BuildStream(CancellationToken cancellationToken = default) => Create(null, cancellationToken);

    private ImagePipeline Create(Func<Batch, CancellationToken, ValueTask>? trainer, CancellationToken cancellationToken)
    {
        ThrowIfBuilt();
        // Validate the copy, not the caller's object: a list changed between the check and the copy cannot slip through.
        PipelineOptions frozen = _options.Freeze();
        frozen.Validate();
        // Before anything is read: without the native runtime every decode of the epoch would fail, one by one.
        Decoding.OpenCvRuntime.EnsureLoaded();
        Distributed.RankAssignment place = Distributed.LauncherEnvironment.Resolve(frozen.Rank, frozen.WorldSize,
            frozen.ReadLauncherEnvironment ? _environment : static _ => null);
        PipelineOptions options = frozen with { Rank = place.Rank, WorldSize = place.WorldSize };
        int shuffleBuffer = ShardBufferOf(_planner, options, place, _resume is not null);
        IEpochPlanner? custom = shuffleBuffer > 0 ? null : _planner;
        if (custom is not null && (place.WorldSize > 1 || _resume is not null))
        {
            throw new ArgumentException(
                $"A planner set with UsePlanner cannot be split between ranks or resumed: {place} and {(_resume is null ? "no state" : "a state to resume")}; these need the built-in planner.", nameof(PipelineOptions.WorldSize));
        }

        if (options.FirstEpoch != 0 && (custom is not null || _resume is not null))
        {
            throw new ArgumentException(
                $"\"{nameof(PipelineOptions.FirstEpoch)}\" is {options.FirstEpoch}, and {(_resume is null ? "a planner set with UsePlanner starts at its own epoch" : $"ResumeFrom also sets where the run starts ({_resume})")}: leave {nameof(PipelineOptions.FirstEpoch)} at 0.", nameof(PipelineOptions.FirstEpoch));
        }

        IEpochPlanner planner = custom ?? new Distributed.PartitionPlanner(options, _resume, shuffleBuffer);
        ISampleSource source = _source ?? new FolderSampleSource(options.ClassNames, options.Extensions)
        {
            Reader = new Reading.FileReader(options.MaxFileBytes, options.MaxImagePixels),
        };
        _built = true;
        Meter? meter = _meterFactory?.Create(new MeterOptions(PipelineInstruments.MeterName) { Version = typeof(ImagePipeline).Assembly.GetName().Version?.ToString() });
        var report = new PipelineReport
        {
            Placement = place,
            UnreadLauncherVariables = frozen.ReadLauncherEnvironment ? null : Distributed.LauncherEnvironment.Describe(_environment),
            Diagnostics = new PipelineDiagnostics(meter, _logger),
        };
        var pipeline = new ImagePipeline(options, source, planner, [.. _stages], trainer, report, _environment, cancellationToken);
        Internal.StartupWarmup.StartSamplePath(options);
        return pipeline;
    }

    /// <summary>
    /// The buffer of a <see cref="Sources.ShardShufflePlanner"/> made for these options (batch size, seed, rows, drop-last):
    /// its order is then one of the built-in planner's, split between ranks and resumed like the others; 0 for any other
    /// planner. One made for other options still plans a single process's run from its start, as any planner.
    /// </summary>
    /// <exception cref="ArgumentException">It was made for other options and the run has ranks or resumes; the message names each option that differs.</exception>
    private static int ShardBufferOf(IEpochPlanner? planner, PipelineOptions options, Distributed.RankAssignment place, bool resumes)
    {
        if (planner is not Sources.ShardShufflePlanner shard)
        {
            return 0;
        }

        var differences = new List<string>();
        void Compare<T>(string name, T planned, T run)
        {
            if (!EqualityComparer<T>.Default.Equals(planned, run))
            {
                differences.Add($"{name} {planned} (the options' {run})");
            }
        }

        Compare(nameof(PipelineOptions.BatchSize), shard.BatchSize, options.BatchSize);
        Compare(nameof(PipelineOptions.Seed), shard.Seed, options.Seed);
        Compare(nameof(PipelineOptions.ShuffleWithinBatch), shard.ShuffleWithinBatch, options.ShuffleWithinBatch);
        Compare(nameof(PipelineOptions.DropLast), shard.DropLast, options.DropLast);
        if (differences.Count == 0)
        {
            return shard.BufferSize;
        }

        if (place.WorldSize > 1 || resumes)
        {
            throw new ArgumentException(
                $"The {nameof(Sources.ShardShufflePlanner)} was made with {string.Join(", ", differences)}: a run with {place}{(resumes ? " that resumes" : "")} splits its order between ranks or resumes it only with the options' values; make it with {nameof(Sources.ShardShufflePlanner)}.{nameof(Sources.ShardShufflePlanner.For)}(options, bufferSize).",
                nameof(UsePlanner));
        }

        return 0;
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("This builder has already built a pipeline; create a new builder for another.");
        }
    }
}
