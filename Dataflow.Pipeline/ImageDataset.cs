using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline;

/// <summary>
/// A dataset and its options, with a loader for its training part and one for its held-out validation part: the entry
/// point for a training loop that needs no <c>Post</c>/<c>Complete</c>.
/// </summary>
/// <remarks>
/// <para>A train-then-validate loop:</para>
/// <code>
/// var data = ImageDataset.FromFolder("images/", options);
/// await foreach (EpochBatches epoch in data.Training.ReadEpochsAsync())
/// {
///     await foreach (Batch batch in epoch) { /* train */ }
///     await foreach (Batch batch in data.Validation.ReadEpochAsync(epoch.Number)) { /* evaluate */ }
/// }
/// </code>
/// <para><see cref="Training"/> streams the options as given, with <see cref="PipelineOptions.Subset"/> set to
/// <see cref="Subset.Training"/>. <see cref="Validation"/> streams the held-out part (the same seeded, stratified split,
/// so the two never share a sample) with the same size, colour, normalization and batch size, and as evaluation wants
/// it: no augmentation, no batch augmentation, no shuffle of the order or of the rows, no decoded-image cache. For other
/// validation options, build an <see cref="ImageLoader"/> with <c>Subset = Subset.Validation</c> and the same seed and split.</para>
/// </remarks>
public sealed class ImageDataset
{
    private readonly ImageLoader? _validation;

    /// <summary>Creates a dataset of the samples under <paramref name="roots"/>.</summary>
    /// <param name="roots">What the source reads: for the built-in one, folders of class folders (<c>images/cat/*.jpg</c> …).</param>
    /// <param name="options">The training options; the validation loader derives its own (see the remarks).</param>
    /// <param name="configure">Called on the builder of every pipeline the loaders build (a source, a logger, user stages), or null.</param>
    /// <exception cref="ArgumentException">No root, or a null or blank one.</exception>
    /// <exception cref="PipelineOptionsException">The options are invalid; the message names each and its allowed values.</exception>
    public ImageDataset(IEnumerable<string> roots, PipelineOptions options, Action<ImagePipelineBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] all = [.. roots ?? throw new ArgumentNullException(nameof(roots))];
        Training = new ImageLoader(all, options with { Subset = Subset.Training }, configure);
        if (options.ValidationSplit > 0)
        {
            _validation = new ImageLoader(all, EvaluationOptions(options), configure);
        }
    }

    /// <summary>Creates a dataset of the class folders under <paramref name="root"/> (<c>root/cat/*.jpg</c>, <c>root/dog/*.png</c> …).</summary>
    /// <param name="root">The folder whose sub-folders are the classes.</param>
    /// <param name="options">The training options; the validation loader derives its own (see the remarks).</param>
    /// <param name="configure">Called on the builder of every pipeline the loaders build, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="root"/> is null or blank.</exception>
    /// <exception cref="PipelineOptionsException">The options are invalid; the message names each and its allowed values.</exception>
    public static ImageDataset FromFolder(string root, PipelineOptions options, Action<ImagePipelineBuilder>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        return new ImageDataset([root], options, configure);
    }

    /// <summary>The training part: the options as given, <see cref="Subset.Training"/>.</summary>
    public ImageLoader Training { get; }

    /// <summary>The held-out validation part, without augmentation or shuffle (see the remarks).</summary>
    /// <exception cref="InvalidOperationException"><see cref="PipelineOptions.ValidationSplit"/> is 0: nothing is held out.</exception>
    public ImageLoader Validation => _validation ?? throw new InvalidOperationException(
        $"This dataset holds nothing out for validation: \"{nameof(PipelineOptions.ValidationSplit)}\" is 0. Set it above 0 and below 1 (0.2 holds out a fifth of each class).");

    /// <summary>The options of <see cref="Validation"/> derived from the training <paramref name="options"/>.</summary>
    private static PipelineOptions EvaluationOptions(PipelineOptions options) => options with
    {
        Subset = Subset.Validation,
        Augmentations = [],
        BatchAugmentations = [],
        Shuffle = false,
        ShuffleWithinBatch = false,
        Cache = null,
    };
}
