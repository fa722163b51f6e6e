using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// One batch as the trainer sees it: a contiguous float32 tensor, labels as indices and one-hot rows,
/// and where each row came from.
/// </summary>
/// <remarks>
/// Ownership: the tensor is rented from the pipeline's pool. With a trainer callback the pipeline
/// disposes the batch when the callback returns; with <c>ReadAllAsync</c> the consumer disposes it.
/// After <see cref="Dispose"/>, <see cref="Data"/> throws: copy out anything kept longer.
/// </remarks>
public sealed class Batch : IDisposable
{
    private float[]? _tensor;
    private readonly Action<float[]> _return;

    internal Batch(float[] tensor, Action<float[]> returnTensor, int epoch, int index, int[] shape, TensorLayout layout,
        int[] labels, float[] oneHot, string[] paths, int[] sampleIndices, IReadOnlyList<string> classNames, int batchesInEpoch = 0)
    {
        BatchesInEpoch = batchesInEpoch;
        _tensor = tensor;
        _return = returnTensor;
        Epoch = epoch;
        Index = index;
        Shape = shape;
        Layout = layout;
        Labels = labels;
        OneHot = oneHot;
        Paths = paths;
        SampleIndices = sampleIndices;
        ClassNames = classNames;
    }

    /// <summary>The epoch, from 0.</summary>
    public int Epoch { get; }

    /// <summary>The batch's index within its epoch, from 0.</summary>
    public int Index { get; }

    /// <summary>Batches planned for this epoch (a batch whose every sample failed is planned but not delivered).</summary>
    public int BatchesInEpoch { get; }

    /// <summary>True for the epoch's last planned batch: the epoch ends once this batch is consumed.</summary>
    /// <remarks>When every sample of an epoch's last batch fails, that batch is not delivered: the epoch then
    /// ends at the next batch of another epoch, or at the end of the run (its samples are in the report).</remarks>
    public bool IsLastInEpoch => Index == BatchesInEpoch - 1;

    /// <summary>Rows (images) in the batch.</summary>
    public int Count => Labels.Length;

    /// <summary>The tensor's shape: [Count, C, H, W] or [Count, H, W, C].</summary>
    public int[] Shape { get; }

    /// <summary>The tensor's layout.</summary>
    public TensorLayout Layout { get; }

    /// <summary>Elements (floats or bytes) per row.</summary>
    public int SampleLength => Shape[1] * Shape[2] * Shape[3];

    /// <summary>The tensor, row-major in <see cref="Shape"/>.</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds bytes (<see cref="ElementType"/> is <see cref="TensorElementType.UInt8"/>): read <see cref="ByteData"/>.</exception>
    public Span<float> Data => (_tensor ?? throw NotHeld(TensorElementType.Float32)).AsSpan(0, Count * SampleLength);

    /// <summary>Row <paramref name="row"/> of the tensor.</summary>
    public Span<float> Row(int row) => Data.Slice(row * SampleLength, SampleLength);

    /// <summary>Class index per row.</summary>
    public int[] Labels { get; }

    /// <summary>One-hot labels, [Count, ClassNames.Count] row-major.</summary>
    public float[] OneHot { get; }

    /// <summary>Source path (or id) per row.</summary>
    public string[] Paths { get; }

    /// <summary>Index of each row's sample in the discovered dataset.</summary>
    public int[] SampleIndices { get; }

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Per row: 1 for a sample of the epoch, 0 for a row that repeats a sample to even out the ranks' step counts
    /// (<see cref="Distributed.RemainderPolicy.Pad"/>). Multiply per-row losses and metrics by it to count every sample once.</summary>
    public float[] Weights { get; internal set; } = [];

    /// <summary>Rows that repeat a sample as padding (weight 0); 0 in a single-process run.</summary>
    public int RepeatCount { get; internal set; }

    /// <summary>
    /// The run's state once this batch is consumed: save it with the model, and build a pipeline with
    /// <see cref="ImagePipelineBuilder.ResumeFrom"/> to continue exactly after this batch. Null with a custom planner.
    /// </summary>
    public Distributed.PipelineState? State { get; internal set; }

    /// <summary>Returns the tensor to the pool. Runs once.</summary>
    public void Dispose()
    {
        float[]? tensor = Interlocked.Exchange(ref _tensor, null);
        if (tensor is not null)
        {
            _return(tensor);
        }

        byte[]? bytes = Interlocked.Exchange(ref _bytes, null);
        if (bytes is not null)
        {
            _returnBytes!(bytes);
        }
    }

    // Byte output (PipelineOptions.Output = TensorElementType.UInt8): the same batch with a uint8 tensor.

    private byte[]? _bytes;
    private readonly Action<byte[]>? _returnBytes;

    internal Batch(byte[] tensor, Action<byte[]> returnTensor, int epoch, int index, int[] shape, TensorLayout layout,
        int[] labels, float[] oneHot, string[] paths, int[] sampleIndices, IReadOnlyList<string> classNames, int batchesInEpoch = 0)
        : this((float[])null!, static (float[] _) => { }, epoch, index, shape, layout, labels, oneHot, paths, sampleIndices, classNames, batchesInEpoch)
    {
        _bytes = tensor;
        _returnBytes = returnTensor;
        ElementType = TensorElementType.UInt8;
    }

    /// <summary>The tensor's element type: <see cref="Data"/> holds float32 values, <see cref="ByteData"/> uint8 pixels.</summary>
    /// <value><see cref="TensorElementType.Float32"/> unless the pipeline was built with <see cref="PipelineOptions.Output"/> = <see cref="TensorElementType.UInt8"/>.</value>
    public TensorElementType ElementType { get; } = TensorElementType.Float32;

    /// <summary>The uint8 tensor (0–255 pixels, no normalization), row-major in <see cref="Shape"/>.</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds floats: read <see cref="Data"/>.</exception>
    public Span<byte> ByteData => (_bytes ?? throw NotHeld(TensorElementType.UInt8)).AsSpan(0, Count * SampleLength);

    /// <summary>The uint8 tensor as memory (for asynchronous copies); valid until the batch is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds floats: read <see cref="Data"/>.</exception>
    public Memory<byte> ByteMemory => (_bytes ?? throw NotHeld(TensorElementType.UInt8)).AsMemory(0, Count * SampleLength);

    /// <summary>Row <paramref name="row"/> of the uint8 tensor.</summary>
    public Span<byte> ByteRow(int row) => ByteData.Slice(row * SampleLength, SampleLength);

    private Exception NotHeld(TensorElementType asked) => ElementType == asked
        ? new ObjectDisposedException(nameof(Batch))
        : new InvalidOperationException($"This batch holds {ElementType} values; read {(ElementType == TensorElementType.UInt8 ? nameof(ByteData) : nameof(Data))} (PipelineOptions.Output).");

    /// <inheritdoc />
    public override string ToString() => $"batch {Index} of epoch {Epoch}: {Count} rows, shape [{string.Join(", ", Shape)}]";
}
