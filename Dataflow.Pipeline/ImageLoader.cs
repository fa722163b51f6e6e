using System.Runtime.CompilerServices;
using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline;

/// <summary>
/// One subset of a dataset (its training or its validation part) read an epoch at a time: the loader builds the
/// <see cref="ImagePipeline"/>, posts the roots and completes it, so a loop needs no <c>Post</c> or <c>Complete</c>.
/// </summary>
/// <remarks>
/// <para><see cref="ReadEpochsAsync"/> streams every epoch from one pipeline (epochs <see cref="PipelineOptions.FirstEpoch"/>
/// to <see cref="PipelineOptions.Epochs"/> - 1), each as its own <see cref="EpochBatches"/>; <see cref="ReadEpochAsync"/>
/// streams one named epoch from a pipeline of its own, for a loop that builds its loader per epoch or validates between
/// epochs. Either way epoch <c>e</c>'s batches are those of epoch <c>e</c> of a single run over all epochs, bit for bit.
/// There is no way to ask for "an epoch" without saying which: a loader read again per epoch never repeats epoch 0
/// without being told to.</para>
/// <para>Batches: each batch is valid until the loop moves to the next one (or leaves the loop); the loader disposes it
/// then and its tensor goes back to the pool. Copy out what is kept longer (<c>batch.Data.ToArray()</c>). Disposing a
/// batch earlier is allowed.</para>
/// <para>The roots are what the pipeline's source reads (class folders for the built-in source; configure another with
/// <see cref="ImagePipelineBuilder.UseSource"/> in the <c>configure</c> callback, which runs on a fresh builder for each
/// pipeline the loader builds, so whatever it passes is shared by those pipelines).</para>
/// </remarks>
public sealed class ImageLoader
{
    private readonly string[] _roots;
    private readonly Action<ImagePipelineBuilder>? _configure;

    /// <summary>Creates a loader of the samples under <paramref name="roots"/> with <paramref name="options"/>.</summary>
    /// <param name="roots">What the source reads: for the built-in one, folders of class folders (<c>images/cat/*.jpg</c> …).</param>
    /// <param name="options">The pipeline's options, validated here; the loader keeps a frozen copy (see <see cref="ImagePipelineBuilder"/>).</param>
    /// <param name="configure">Called on the builder of every pipeline the loader builds (a source, a logger, user stages), or null.</param>
    /// <exception cref="ArgumentException">No root, or a root that is null or blank (named by its index).</exception>
    /// <exception cref="PipelineOptionsException">The options are invalid; the message names each and its allowed values.</exception>
    public ImageLoader(IEnumerable<string> roots, PipelineOptions options, Action<ImagePipelineBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(options);
        _roots = [.. roots];
        if (_roots.Length == 0)
        {
            throw new ArgumentException("At least one root is needed: a folder of class folders, or what the configured source reads.", nameof(roots));
        }

        for (int i = 0; i < _roots.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(_roots[i]))
            {
                throw new ArgumentException($"Root {i} is {(_roots[i] is null ? "null" : "blank")}: each root names a folder (or what the configured source reads).", nameof(roots));
            }
        }

        Options = options.Freeze();
        Options.Validate();
        _configure = configure;
    }

    /// <summary>What the pipelines read: the roots given.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>The options every pipeline of this loader is built with (a frozen copy).</summary>
    public PipelineOptions Options { get; }

    /// <summary>
    /// Every epoch from one pipeline, <see cref="PipelineOptions.FirstEpoch"/> to <see cref="PipelineOptions.Epochs"/> - 1,
    /// each read with its own <c>await foreach</c>.
    /// </summary>
    /// <remarks>
    /// The pipeline keeps preparing the next epoch's first batches (within its bounded capacity) while the loop between
    /// two epochs runs, such as a validation pass. An epoch whose batches are not all read when the loop moves to the next
    /// one has the rest read and disposed first; each <see cref="EpochBatches"/> is read once, inside the loop over epochs.
    /// A fault of the run (a fail-fast sample, the failure budget, a missing folder) is thrown from the epoch's loop.
    /// Leaving the loop early cancels the run and waits until its memory is returned.
    /// </remarks>
    /// <param name="cancellationToken">Cancels the run.</param>
    public async IAsyncEnumerable<EpochBatches> ReadEpochsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ImagePipeline pipeline = Start(Options, cancellationToken);
        await using (pipeline.ConfigureAwait(false))
        {
            var cursor = new EpochCursor(pipeline);
            await using (cursor.ConfigureAwait(false))
            {
                for (int epoch = Options.FirstEpoch; epoch < Options.Epochs; epoch++)
                {
                    var batches = new EpochBatches(epoch, pipeline, cursor);
                    yield return batches;
                    batches.Close();
                    await cursor.SkipEpochAsync(epoch).ConfigureAwait(false);
                }

                await cursor.EndAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Epoch <paramref name="epoch"/> alone, from a pipeline of its own built when the loop starts: the same batches, bit
    /// for bit, as that epoch of a run over every epoch.
    /// </summary>
    /// <remarks>
    /// For a loop that builds its loader per epoch (as with PyTorch's <c>DataLoader</c>) or validates after each training
    /// epoch. <see cref="PipelineOptions.FirstEpoch"/> and <see cref="PipelineOptions.Epochs"/> are not used: the epoch
    /// is the one named. Each enumeration builds and runs a new pipeline (discovery included).
    /// </remarks>
    /// <param name="epoch">The epoch, from 0: its order and augmentation follow from (seed, epoch).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative or above 99 999.</exception>
    public EpochBatches ReadEpochAsync(int epoch, CancellationToken cancellationToken = default)
    {
        if (epoch < 0 || epoch > 99_999)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"Parameter \"{nameof(epoch)}\" must be between 0 and 99999, was {epoch}.");
        }

        return new EpochBatches(epoch, this, cancellationToken);
    }

    /// <summary>Builds, feeds and completes a streaming pipeline with <paramref name="options"/>.</summary>
    internal ImagePipeline Start(PipelineOptions options, CancellationToken cancellationToken)
    {
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        _configure?.Invoke(builder);
        ImagePipeline pipeline = builder.BuildStream(cancellationToken);
        foreach (string root in _roots)
        {
            pipeline.Post(root);
        }

        pipeline.Complete();
        return pipeline;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Options.Subset} of {string.Join(", ", _roots)}";
}
