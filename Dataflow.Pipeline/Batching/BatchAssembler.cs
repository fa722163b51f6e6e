using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// Owns the batch tensors while they fill: the normalize stage asks for its batch's tensor and writes
/// its row; the assemble stage takes the tensor, closes the gaps left by skipped samples and builds
/// the <see cref="Batch"/>.
/// </summary>
internal sealed class BatchAssembler
{
    // Keyed by (epoch, batch) packed in one long (a tuple key's dictionary code would be compiled at start-up).
    private readonly Dictionary<long, Array> _filling = [];
    private readonly TensorPool _pool;
    private readonly int _batchSize;
    private readonly int _sampleLength;
    private readonly int[] _sampleShape;
    private readonly TensorLayout _layout;
    private readonly IReadOnlyList<string> _classNames;
    private readonly bool _bytes;

    public BatchAssembler(TensorPool pool, int batchSize, int[] sampleShape, TensorLayout layout, IReadOnlyList<string> classNames,
        TensorElementType elementType = TensorElementType.Float32)
    {
        _bytes = elementType == TensorElementType.UInt8;
        _pool = pool;
        _batchSize = batchSize;
        _sampleShape = sampleShape;
        _sampleLength = sampleShape[0] * sampleShape[1] * sampleShape[2];
        _layout = layout;
        _classNames = classNames;
    }

    /// <summary>The float tensor of a batch being filled, rented on first use.</summary>
    /// <summary>The dataset's targets, or null: a batch of a dataset with targets carries them.</summary>
    public Targets.TargetSchema? TargetSchema { get; init; }

    /// <summary>The format and rules of the batch's targets.</summary>
    public Targets.TargetOptions TargetOptions { get; init; } = Targets.TargetOptions.Default;

    public float[] TensorFor(int epoch, int batch) => (float[])Filling(epoch, batch);

    /// <summary>The row of a sample in its batch tensor.</summary>
    public Span<float> RowFor(ImageSample sample) => TensorFor(sample.Epoch, sample.BatchIndex).AsSpan(sample.Slot * _sampleLength, _sampleLength);

    /// <summary>The row of a sample in its uint8 batch tensor (byte output).</summary>
    public Span<byte> ByteRowFor(ImageSample sample) => ((byte[])Filling(sample.Epoch, sample.BatchIndex)).AsSpan(sample.Slot * _sampleLength, _sampleLength);

    private Array Filling(int epoch, int batch)
    {
        // A lock rather than ConcurrentDictionary.GetOrAdd, whose factory may run twice and leak a rental.
        lock (_filling)
        {
            if (!_filling.TryGetValue(Key(epoch, batch), out Array? tensor))
            {
                int length = _batchSize * _sampleLength;
                _filling[Key(epoch, batch)] = tensor = _bytes ? _pool.RentBytes(length) : _pool.Rent(length);
            }

            return tensor;
        }
    }

    private void Return(Array tensor)
    {
        if (tensor is byte[] bytes)
        {
            _pool.ReturnBytes(bytes);
        }
        else
        {
            _pool.Return((float[])tensor);
        }
    }

    /// <summary>Builds the batch from a group of the batch block; null when no sample of it survived.</summary>
    /// <exception cref="InvalidOperationException">The group mixes batches: a stage dropped, added or reordered messages.</exception>
    public Batch? Assemble(ImageSample[] group)
    {
        ImageSample first = group[0];
        foreach (ImageSample s in group)
        {
            if (s.Epoch != first.Epoch || s.BatchIndex != first.BatchIndex)
            {
                throw new InvalidOperationException(
                    $"The batch block grouped {first} with {s}: a stage between discovery and batching dropped, added or reordered messages.");
            }
        }

        var rows = new List<ImageSample>(group.Length);
        foreach (ImageSample s in group)
        {
            if (!s.IsPadding && s.IsWritten && !s.IsSkipped)
            {
                rows.Add(s);
            }
        }

        Array? tensor;
        lock (_filling)
        {
            _filling.Remove(Key(first.Epoch, first.BatchIndex), out tensor);
        }

        if (rows.Count == 0)
        {
            if (tensor is not null)
            {
                Return(tensor);
            }

            return null;
        }

        rows.Sort(static (a, b) => a.Slot.CompareTo(b.Slot));
        int classes = _classNames.Count;
        var labels = new int[rows.Count];
        var oneHot = new float[rows.Count * classes];
        var paths = new string[rows.Count];
        var indices = new int[rows.Count];
        var weights = new float[rows.Count];
        int repeats = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            ImageSample s = rows[r];
            if (s.Slot != r)
            {
                // A skipped sample left a gap: move this row up (rows only move towards the front).
                MoveRow(tensor!, s.Slot, r);
            }

            labels[r] = s.Info!.Label;
            oneHot[r * classes + s.Info.Label] = 1f;
            paths[r] = s.Info.Id;
            indices[r] = s.Info.Index;
            weights[r] = s.IsRepeat ? 0f : 1f;
            repeats += s.IsRepeat ? 1 : 0;
        }

        int[] shape = [rows.Count, _sampleShape[0], _sampleShape[1], _sampleShape[2]];
        Batch batch = tensor is byte[] bytes
            ? new Batch(bytes, _pool.ReturnBytes, first.Epoch, first.BatchIndex, shape, _layout, labels, oneHot, paths, indices, _classNames, first.BatchesInEpoch)
            : new Batch((float[])tensor!, _pool.Return, first.Epoch, first.BatchIndex, shape, _layout, labels, oneHot, paths, indices, _classNames, first.BatchesInEpoch);
        batch.Weights = weights;
        batch.RepeatCount = repeats;
        batch.State = first.StateAfterBatch;
        if (TargetSchema is Targets.TargetSchema schema)
        {
            var targets = new Targets.RowTargets[rows.Count];
            for (int r = 0; r < rows.Count; r++)
            {
                targets[r] = rows[r].RowTargets ?? throw new InvalidOperationException($"{rows[r]} reached its batch without its targets.");
            }

            int height = _layout == TensorLayout.Nchw ? _sampleShape[1] : _sampleShape[0];
            int width = _layout == TensorLayout.Nchw ? _sampleShape[2] : _sampleShape[1];
            batch.Targets = Targets.BatchTargets.Assemble(targets, schema, TargetOptions, new OpenCvSharp.Size(width, height));
        }

        return batch;
    }

    private void MoveRow(Array tensor, int from, int to)
    {
        if (tensor is byte[] bytes)
        {
            bytes.AsSpan(from * _sampleLength, _sampleLength).CopyTo(bytes.AsSpan(to * _sampleLength, _sampleLength));
        }
        else
        {
            var floats = (float[])tensor;
            floats.AsSpan(from * _sampleLength, _sampleLength).CopyTo(floats.AsSpan(to * _sampleLength, _sampleLength));
        }
    }

    /// <summary>Returns every tensor still filling (after a fault or cancellation).</summary>
    public void ReturnAll()
    {
        lock (_filling)
        {
            foreach (Array tensor in _filling.Values)
            {
                Return(tensor);
            }

            _filling.Clear();
        }
    }

    private static long Key(int epoch, int batch) => ((long)epoch << 32) | (uint)batch;
}
