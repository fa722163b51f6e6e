using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// The batch's pooled array as <see cref="Memory{T}"/>: no copy, refused after the batch is disposed, and kept
/// out of the pool while pinned so native readers (ONNX Runtime) never see the array reused under them.
/// </summary>
internal sealed class BatchMemoryManager : MemoryManager<float>
{
    private readonly float[] _array;
    private readonly int _length;
    private readonly Action<float[]> _return;
    private readonly Lock _lock = new();
    private int _pins;
    private bool _released;
    private bool _returned;

    public BatchMemoryManager(float[] array, int length, Action<float[]> returnArray)
    {
        _array = array;
        _length = length;
        _return = returnArray;
    }

    public bool IsDisposed => Volatile.Read(ref _released);

    /// <summary>The array lives on the pinned object heap: its address is stable for its lifetime.</summary>
    public unsafe nint Address => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));

    public override Span<float> GetSpan()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, typeof(Batch));
        return _array.AsSpan(0, _length);
    }

    /// <summary>The array and the batch's part of it (<c>MemoryMarshal.TryGetArray</c>); false once the batch is disposed.</summary>
    protected override bool TryGetArray(out ArraySegment<float> segment)
    {
        if (IsDisposed)
        {
            segment = default;
            return false;
        }

        segment = new ArraySegment<float>(_array, 0, _length);
        return true;
    }

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_released, typeof(Batch));
            _pins++;
        }

        return new MemoryHandle((float*)Address + elementIndex, default, this);
    }

    public override void Unpin()
    {
        lock (_lock)
        {
            _pins--;
            if (!ReturnNow())
            {
                return;
            }
        }

        _return(_array);
    }

    /// <summary>The batch was disposed: the array goes back to the pool now, or when the last pin is released.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _released = true;
            if (!ReturnNow())
            {
                return;
            }
        }

        _return(_array);
    }

    protected override void Dispose(bool disposing)
    {
        // The batch owns the array's lifetime (Release); a Memory<T> consumer disposing the manager changes nothing.
    }

    private bool ReturnNow()
    {
        if (!_released || _pins > 0 || _returned)
        {
            return false;
        }

        _returned = true;
        return true;
    }
}
