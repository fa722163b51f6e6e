using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using OpenCvSharp;

namespace Dataflow.Pipeline;

/// <summary>
/// The message that flows between the per-image blocks: one planned position of an epoch, carrying
/// the sample's bytes after read and its pixels after decode. A user stage receives and returns it.
/// </summary>
/// <remarks>
/// The pipeline owns <see cref="Bytes"/> and <see cref="Image"/> and disposes them on every path: a stage must
/// not dispose either (a stage that disposes the image has its sample skipped, naming the stage). A user
/// stage that replaces the image calls <see cref="ReplaceImage(Mat)"/>; one that rejects the sample calls
/// <see cref="Skip"/>. Stages must pass every message on, in order (the batch block groups them by position).
/// </remarks>
public sealed class ImageSample
{
    private readonly ImageCounter _counter;
    private PooledBuffer? _bytes;
    private Mat? _image;
    private int _loaded;
    private Targets.TargetState? _targets;

    internal ImageSample(SampleInfo? info, Planning.PlannedBatch batch, int position, int slot, ImageCounter counter, bool isRepeat = false)
    {
        Info = info;
        Batch = batch;
        Position = position;
        Slot = slot;
        _counter = counter;
        IsRepeat = isRepeat;
    }

    /// <summary>The sample, or null for padding that fills a short last batch's group in the batch block.</summary>
    public SampleInfo? Info { get; }

    /// <summary>The planned batch this position belongs to (shared by the batch's messages).</summary>
    internal Planning.PlannedBatch Batch { get; }

    /// <summary>True when the sample repeats one the epoch already holds, to even out the ranks' step counts (its row is weighted 0).</summary>
    public bool IsRepeat { get; }

    /// <summary>The run's state once this sample's batch is consumed (null when the planner cannot resume).</summary>
    internal Distributed.PipelineState? StateAfterBatch => Batch.StateAfter;

    /// <summary>True for padding (no sample).</summary>
    public bool IsPadding => Info is null;

    /// <summary>The epoch, from 0.</summary>
    public int Epoch => Batch.Epoch.Epoch;

    /// <summary>The batch this position belongs to, within the epoch.</summary>
    public int BatchIndex => Batch.Index;

    /// <summary>Position in the epoch's order.</summary>
    public int Position { get; }

    /// <summary>The sample's row in its batch after the in-batch shuffle.</summary>
    public int Slot { get; }

    /// <summary>Positions in this epoch's plan.</summary>
    public int EpochLength => Batch.Epoch.Length;

    /// <summary>Batches in this epoch's plan.</summary>
    public int BatchesInEpoch => Batch.Epoch.BatchesInEpoch;

    /// <summary>True once the sample's skip is in the run's report (or has faulted the run).</summary>
    internal bool IsReported { get; set; }

    /// <summary>A real sample that has not been skipped: the stages still work on it.</summary>
    internal bool IsLive => Info is not null && SkipReason is null;

    /// <summary>Why the sample was skipped, or null.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>True once the sample has been skipped or has failed.</summary>
    public bool IsSkipped => SkipReason is not null;

    /// <summary>True once the sample's pixels are in its batch tensor.</summary>
    public bool IsWritten { get; internal set; }

    /// <summary>The encoded bytes, between read and decode.</summary>
    public PooledBuffer? Bytes => _bytes;

    /// <summary>The pixels (8-bit, target size), between decode and normalize.</summary>
    public Mat? Image => _image;

    /// <summary>Marks the sample skipped and releases its data.</summary>
    public void Skip(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        SkipReason = reason;
        Release();
    }

    /// <summary>Puts a new image in place of the current one, disposing the old one (unless it is the same Mat).</summary>
    /// <remarks>The sample owns <paramref name="image"/> from then on: it must be a Mat no other sample holds.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="image"/> is disposed.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="image"/> is the image another sample of the run holds.</exception>
    public void ReplaceImage(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ReplaceImage(image, null);
    }

    /// <summary>
    /// As <see cref="ReplaceImage(Mat)"/> for the Mat <paramref name="augmentation"/> returned (when not null), whose
    /// name every refusal then gives. A refused Mat is left alone: it is its holder's, or was disposed already.
    /// </summary>
    internal void ReplaceImage(Mat? image, object? augmentation)
    {
        if (image is null)
        {
            throw ReturnedNull(augmentation!);
        }

        if (image.IsDisposed)
        {
            throw ReturnedDisposed(augmentation);
        }

        if (ReferenceEquals(image, _image))
        {
            return;
        }

        // A combinator's result is claimed for this sample already (AugmentationOps.Checked).
        ThrowIfRefused(_counter.Claim(image, this, out ImageSample? holder), holder, augmentation);

        Mat? old = _image;
        _image = image;
        if (old is not null)
        {
            old.Dispose();
            _counter.Disown(old, this);
        }
    }

    /// <summary>The Mats and samples of the run this sample belongs to (who holds which Mat).</summary>
    internal ImageCounter Images => _counter;

    /// <summary>Why a null returned by <paramref name="augmentation"/> is refused.</summary>
    internal static InvalidOperationException ReturnedNull(object augmentation) =>
        new($"Augmentation '{Describe(augmentation)}' returned null; return the input image or a new Mat.");

    /// <summary>Why a disposed Mat (from <paramref name="augmentation"/>, or a stage's replacement when null) is refused.</summary>
    internal static ObjectDisposedException ReturnedDisposed(object? augmentation) =>
        new(null, $"{Giver(augmentation)} is already disposed; return the input image or a new Mat, and leave disposal to the pipeline.");

    /// <summary>Why a Mat another sample holds (from <paramref name="augmentation"/>, or a stage's replacement when null) is refused.</summary>
    internal static InvalidOperationException ReturnedHeld(object? augmentation, ImageSample holder) =>
        new($"{Giver(augmentation)} is the image of {holder}, still in flight; return a new Mat for each sample (Clone() a Mat that is kept and reused).");

    /// <summary>Throws the refusal of <see cref="ImageCounter.Claim"/>, naming <paramref name="augmentation"/>; nothing when it claimed the Mat.</summary>
    internal static void ThrowIfRefused(ImageCounter.ClaimRefused? refused, ImageSample? holder, object? augmentation)
    {
        switch (refused)
        {
            case ImageCounter.ClaimRefused.HeldByAnother:
                throw ReturnedHeld(augmentation, holder!);
            case ImageCounter.ClaimRefused.Disposed:
                throw ReturnedDisposed(augmentation);
        }
    }

    private static string Giver(object? augmentation) =>
        augmentation is null ? "The replacement image" : $"Augmentation '{Describe(augmentation)}' returned an image that";

    /// <summary>How a stage or an augmentation is named in a reason: its ToString, or its type's name.</summary>
    internal static string Describe(object stage) => stage.ToString() ?? stage.GetType().Name;

    internal void SetBytes(PooledBuffer bytes)
    {
        if (Interlocked.Exchange(ref _loaded, 1) == 0)
        {
            _counter.SampleLoaded();
        }

        _bytes = bytes;
    }

    internal void ReleaseBytes()
    {
        Interlocked.Exchange(ref _bytes, null)?.Dispose();
    }

    /// <summary>Throws if a stage disposed the sample's image (reading it would crash in native code).</summary>
    /// <param name="stage">The stage or augmentation that ran; named (its ToString) only when it disposed the image.</param>
    internal void ThrowIfImageDisposed(object stage)
    {
        if (_image is { IsDisposed: true })
        {
            throw new ObjectDisposedException(nameof(Mat), $"Stage '{Describe(stage)}' disposed the sample's image; stages must leave disposal to the pipeline (use ReplaceImage to swap it).");
        }
    }

    /// <summary>The sample's targets while its image moves (decode to normalize); null for a dataset without targets.</summary>
    internal Targets.TargetState? TargetState
    {
        get => _targets;
        set => Interlocked.Exchange(ref _targets, value)?.Dispose();
    }

    /// <summary>The decode geometry of the pixels the decoded-image cache served at read (a dataset with targets), until decode takes it.</summary>
    internal Targets.DecodeGeometry? ServedGeometry { get; set; }

    /// <summary>The sample's targets once its image is final, for the batch; null for a dataset without targets.</summary>
    internal Targets.RowTargets? RowTargets { get; set; }

    /// <summary>Frees the bytes and the pixels; runs once per load, safe on any path.</summary>
    internal void Release()
    {
        ReleaseBytes();
        Interlocked.Exchange(ref _targets, null)?.Dispose();
        Mat? image = Interlocked.Exchange(ref _image, null);
        if (image is not null)
        {
            // Disposed before it leaves the list, so a sample that is handed it in between sees it disposed.
            image.Dispose();
            _counter.Disown(image, this);
        }

        if (Interlocked.Exchange(ref _loaded, 0) == 1)
        {
            _counter.SampleReleased();
        }
    }

    /// <inheritdoc />
    public override string ToString() => IsPadding
        ? $"padding (epoch {Epoch}, batch {BatchIndex}, position {Position})"
        : $"sample #{Info!.Index} '{Info.Id}' (epoch {Epoch}, batch {BatchIndex}, position {Position})";
}
