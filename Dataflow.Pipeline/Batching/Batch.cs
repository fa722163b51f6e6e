using System.Buffers;
using System.Numerics.Tensors;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// One batch as the trainer sees it: a contiguous float32 tensor, labels as indices and one-hot rows,
/// and where each row came from.
/// </summary>
/// <remarks>
/// <para>Ownership: the tensor is rented from the pipeline's pool. With a trainer callback the pipeline
/// disposes the batch when the callback returns; with <c>ReadAllAsync</c> the consumer disposes it.
/// After <see cref="Dispose"/>, <see cref="Data"/> throws: copy out anything kept longer.</para>
/// <para>Every view of the tensor (<see cref="Data"/>, <see cref="Memory"/>, <see cref="ReadOnlyMemory"/>,
/// <see cref="AsTensorSpan"/>, <see cref="Pin"/>, <see cref="DataPointer"/>) is the batch's own pooled array,
/// never a copy: a write through one is seen through the others. They are valid until the batch is disposed.
/// After it, <see cref="Data"/>, <see cref="AsTensorSpan"/>, <see cref="Pin"/> and <see cref="DataPointer"/>
/// throw <see cref="ObjectDisposedException"/>, and so does <c>Span</c> or <c>Pin()</c> of a
/// <see cref="Memory"/> taken before. A pin taken before the dispose (a <see cref="MemoryHandle"/>, or an
/// ONNX Runtime <c>OrtValue</c> made from <see cref="Memory"/>) keeps the array out of the pool until it is
/// released, so native code reading through it never sees another batch's pixels; a raw
/// <see cref="DataPointer"/> has no such guard.</para>
/// </remarks>
public sealed class Batch : IDisposable
{
    private float[]? _tensor;
    private readonly BatchMemoryManager _memory;

    internal Batch(float[] tensor, Action<float[]> returnTensor, int epoch, int index, int[] shape, TensorLayout layout,
        int[] labels, float[] oneHot, string[] paths, int[] sampleIndices, IReadOnlyList<string> classNames, int batchesInEpoch = 0)
    {
        BatchesInEpoch = batchesInEpoch;
        _tensor = tensor;
        Epoch = epoch;
        Index = index;
        Shape = shape;
        Layout = layout;
        Labels = labels;
        OneHot = oneHot;
        Paths = paths;
        SampleIndices = sampleIndices;
        ClassNames = classNames;
        _memory = new BatchMemoryManager(tensor, Count * SampleLength, returnTensor);
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

    /// <summary>The tensor as <see cref="Memory{T}"/>, for async APIs and libraries that take memory (no copy).</summary>
    /// <remarks>
    /// Backed by the batch's pooled array through a <see cref="MemoryManager{T}"/>: its <c>Span</c> and
    /// <c>Pin()</c> throw <see cref="ObjectDisposedException"/> once the batch is disposed, so a kept
    /// <see cref="Memory{T}"/> never reads a later batch's data. A pin taken before the dispose holds the array
    /// until it is released (see the class remarks).
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds bytes: read <see cref="ByteData"/>.</exception>
    public Memory<float> Memory => _tensor is null ? throw NotHeld(TensorElementType.Float32) : _memory.Memory;

    /// <summary>The tensor as <see cref="ReadOnlyMemory{T}"/> (no copy); the same rules as <see cref="Memory"/>.</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    public ReadOnlyMemory<float> ReadOnlyMemory => Memory;

    /// <summary>The tensor as a <see cref="TensorSpan{T}"/> with the batch's <see cref="Shape"/> (no copy).</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    public TensorSpan<float> AsTensorSpan() => new(Data, Lengths());

    /// <summary>The tensor as a <see cref="ReadOnlyTensorSpan{T}"/> with the batch's <see cref="Shape"/> (no copy).</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    public ReadOnlyTensorSpan<float> AsReadOnlyTensorSpan() => new(Data, Lengths());

    /// <summary>Pins the tensor for native code: <c>handle.Pointer</c> is the first float, row-major in <see cref="Shape"/>.</summary>
    /// <remarks>
    /// The array lives on the pinned object heap, so the pointer never moves. Dispose the handle when the native
    /// code is done; until then a disposed batch keeps its array out of the pool.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds bytes: read <see cref="ByteData"/>.</exception>
    public MemoryHandle Pin() => _tensor is null ? throw NotHeld(TensorElementType.Float32) : _memory.Pin();

    /// <summary>The address of the tensor's first float, row-major in <see cref="Shape"/>, for native libraries.</summary>
    /// <remarks>
    /// Valid until the batch is disposed; afterwards the array may hold another batch. Prefer <see cref="Pin"/>
    /// when native code may outlive the batch's scope.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds bytes: read <see cref="ByteData"/>.</exception>
    public nint DataPointer => _tensor is null ? throw NotHeld(TensorElementType.Float32) : _memory.Address;

    /// <summary>
    /// The tensor's pooled array and the batch's part of it (offset 0, <see cref="Count"/> × <see cref="SampleLength"/>
    /// elements), for engines that take arrays (TorchSharp's <c>torch.frombuffer</c>, ML.NET's <c>VBuffer</c>): no copy.
    /// </summary>
    /// <remarks>
    /// <para>Lifetime: the array is the batch's until the batch is disposed; then it goes back to the pool and holds a later
    /// batch. A tensor or buffer made over it without a copy must be done with (its last read over, a backward pass
    /// included) before the batch is disposed, or copied. Unlike <see cref="Memory"/>, a raw array cannot refuse reads
    /// after the dispose: this rule is the caller's to keep. <see cref="Pin"/> keeps the array out of the pool while
    /// its handle is held, for code that may outlive the batch's scope.</para>
    /// <para>The array is as long as a full batch (<c>BatchSize</c> rows): in a short last batch the rows past
    /// <see cref="Count"/> hold stale data, outside the segment. <c>MemoryMarshal.TryGetArray(batch.Memory, …)</c>
    /// gives the same segment (false once the batch is disposed).</para>
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds bytes: read <see cref="AsByteArraySegment"/>.</exception>
    public ArraySegment<float> AsArraySegment() => new(_tensor ?? throw NotHeld(TensorElementType.Float32), 0, Count * SampleLength);

    /// <summary>The uint8 tensor's pooled array and the batch's part of it (no copy); the same lifetime rule as <see cref="AsArraySegment"/>.</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    /// <exception cref="InvalidOperationException">The batch holds floats: read <see cref="AsArraySegment"/>.</exception>
    public ArraySegment<byte> AsByteArraySegment() => new(_bytes ?? throw NotHeld(TensorElementType.UInt8), 0, Count * SampleLength);

    /// <summary>Class index per row.</summary>
    public int[] Labels { get; }

    /// <summary>Class index per row as 64-bit integers, the label type of TorchSharp's and PyTorch's losses (<c>cross_entropy</c>, <c>nll_loss</c>).</summary>
    /// <remarks>Made on first read and kept: a batch whose labels are read only as <see cref="Labels"/> allocates nothing
    /// more. Like <see cref="Labels"/>, it stays readable after the batch is disposed.</remarks>
    public long[] Int64Labels => _int64Labels ??= Array.ConvertAll(Labels, static label => (long)label);

    private long[]? _int64Labels;

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

    /// <summary>The rows' targets (boxes, keypoints, masks, multi-hot, text) and each row's map from its source image; null when the dataset has none.</summary>
    /// <remarks>Managed arrays, readable after the batch is disposed; layouts in <see cref="Targets.BatchTargets"/> and docs/targets.md.</remarks>
    public Targets.BatchTargets? Targets { get; internal set; }

    /// <summary>Returns the tensor to the pool (once every pin taken on it is released). Runs once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _tensor, null) is not null)
        {
            _memory.Release();
        }

        byte[]? bytes = Interlocked.Exchange(ref _bytes, null);
        if (bytes is not null)
        {
            _returnBytes!(bytes);
        }
    }

    private nint[] Lengths() => [.. Shape.Select(static n => (nint)n)];

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
