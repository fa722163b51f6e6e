using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Planning;

namespace Dataflow.Pipeline;

/// <summary>
/// A linked TPL Dataflow graph that streams the images under the posted root folders into batches:
/// discover → plan → read → decode-resize → augment → normalize → batch → assemble → trainer.
/// </summary>
/// <remarks>
/// <para>Post one or more roots (<c>Post</c>/<c>SendAsync</c>), then <see cref="Complete"/>: discovery
/// runs over all of them, and batches flow to the trainer callback (built with
/// <see cref="ImagePipelineBuilder.Build(Func{Batch, CancellationToken, ValueTask}, CancellationToken)"/>)
/// or to <see cref="ReadAllAsync"/> (built with <see cref="ImagePipelineBuilder.BuildStream"/>).</para>
/// <para>Every block is bounded, so at most <see cref="MaxSamplesInFlight"/> images are held at once,
/// whatever the dataset's size. Each epoch is planned as plain data by an <see cref="IEpochPlanner"/>; each
/// sample's batch, row and random choices follow from (seed, epoch, sample index) and the blocks keep message
/// order, so the batches are the same bit for bit whatever the parallelism.</para>
/// <para><see cref="Completion"/> ends when the run ends: faulted with the first original exception
/// (a fail-fast sample, a throwing trainer, a missing folder, the failure budget), canceled when cancelled, and
/// only after every Mat, byte buffer and tensor the run held has been returned.</para>
/// </remarks>
public sealed class ImagePipeline : ITargetBlock<string>, IAsyncDisposable
{
    private readonly PipelineRun _run;

    internal ImagePipeline(PipelineOptions options, ISampleSource source, IEpochPlanner planner, IReadOnlyList<UserStage> stages,
        Func<Batch, CancellationToken, ValueTask>? trainer, PipelineReport report, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        Options = options;
        Report = report;
        var ledger = new InFlightLedger(Images, Buffers, Tensors);
        _run = new PipelineRun(options, source, planner, stages, trainer, Report, ledger, environment, cancellationToken);
        report.Diagnostics?.Attach(_run.Blocks, Completion, Report);
    }

    /// <summary>Feeds the meter and the logger from this run (before any root is posted).</summary>


    /// <summary>Creates a builder for a pipeline with these options.</summary>
    public static ImagePipelineBuilder CreateBuilder(PipelineOptions options) => new(options);

    /// <summary>The run's accounting: discovered, batched, skipped (path and reason), dropped, per-class counts, stage times.</summary>
    public PipelineReport Report { get; }

    /// <summary>Counts of live Mats and in-flight samples (for tests and diagnostics).</summary>
    internal ImageCounter Images { get; } = new();

    /// <summary>The byte-buffer pool the read stage rents from.</summary>
    public BufferPool Buffers { get; } = new();

    /// <summary>The batch-tensor pool.</summary>
    internal TensorPool Tensors { get; } = new();

    /// <summary>
    /// The most samples holding image data (bytes or pixels) at once: the sum of the capacities of the blocks
    /// built between read and normalize, delegate stages included (blocks added with <c>AddBlock</c> are not counted).
    /// </summary>
    public int MaxSamplesInFlight => _run.SampleCapacity;

    /// <summary>Samples per message through read and decode (1, or a chunk for small images; docs/dev/performance-log.md).</summary>
    internal int SamplesPerMessage => _run.ChunkSize;

    /// <summary>Test seam: the run's delivery (its stream hand-over).</summary>
    internal Delivery Delivery => _run.Delivery;

    /// <summary>Every block of the run's graph, in graph order.</summary>
    internal IReadOnlyList<IDataflowBlock> Blocks => _run.Blocks;

    /// <summary>Class names, once discovery has run.</summary>
    public IReadOnlyList<string> ClassNames => Report.ClassNames;

    /// <summary>The options the pipeline was built with.</summary>
    public PipelineOptions Options { get; }

    /// <summary>Ends when the run has ended and all its memory is returned.</summary>
    public Task Completion => _run.Completion;

    /// <summary>Posts a root folder (see <see cref="DataflowBlock.Post{TInput}"/>); false once completed.</summary>
    public bool Post(string root) => _run.Roots.Post(root);

    /// <summary>Sends a root folder asynchronously; false once completed.</summary>
    public Task<bool> SendAsync(string root, CancellationToken cancellationToken = default) => _run.Roots.SendAsync(root, cancellationToken);

    /// <summary>Signals that no more roots will be posted; discovery starts.</summary>
    public void Complete() => _run.Roots.Complete();

    /// <summary>Cancels the run.</summary>
    public void Cancel() => _run.Cancel();

    void IDataflowBlock.Fault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ((IDataflowBlock)_run.Roots).Fault(exception);
    }

    DataflowMessageStatus ITargetBlock<string>.OfferMessage(DataflowMessageHeader messageHeader, string messageValue, ISourceBlock<string>? source, bool consumeToAccept) =>
        ((ITargetBlock<string>)_run.Roots).OfferMessage(messageHeader, messageValue, source, consumeToAccept);

    /// <summary>
    /// The batches as an async stream (for a pipeline built with <see cref="ImagePipelineBuilder.BuildStream"/>).
    /// The consumer owns and disposes each batch. Leaving the loop early cancels the run.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pipeline was built with a trainer callback.</exception>
    public async IAsyncEnumerable<Batch> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!_run.IsStream)
        {
            throw new InvalidOperationException("This pipeline hands batches to its trainer callback; build it with BuildStream() to read them with ReadAllAsync.");
        }

        bool finished = false;
        try
        {
            await foreach (Batch batch in _run.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                _run.Cancel();
            }
        }

        await _run.Completion.ConfigureAwait(false);
    }

    /// <summary>Cancels the run if it is still going and waits until its memory is returned.</summary>
    public async ValueTask DisposeAsync()
    {
        _run.Roots.Complete();
        if (!_run.Completion.IsCompleted)
        {
            _run.Cancel();
        }

        try
        {
            await _run.Completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The run's outcome is observed through Completion; disposal only waits for the clean-up.
        }

        _run.Dispose();
    }

    internal sealed record UserStage(StagePosition Position, string Name, Action<ImageSample>? Action, IPropagatorBlock<ImageSample, ImageSample>? Block, StageOptions? Options,
        Targets.TargetBehavior Targets = Targets.TargetBehavior.Undeclared);
}
