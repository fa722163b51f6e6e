using System.Buffers;
using System.Numerics.Tensors;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Batching;

/// <summary>
/// The in-place kernels of MixUp and CutMix. Row i is paired with row i − 1 and row 0 with the last row, as torchvision's
/// <c>batch.roll(1, 0)</c>; rows are rewritten from the last to the first, so every row is mixed with its partner's
/// original values (the last row's original is kept aside for row 0).
/// </summary>
internal static class BatchMixing
{
    /// <summary>Every row becomes <paramref name="lambda"/> · row + (1 − <paramref name="lambda"/>) · partner, in float32 as torchvision computes it.</summary>
    public static void Blend(Span<float> data, int rows, int rowLength, double lambda)
    {
        if (rows < 2)
        {
            return;
        }

        float own = (float)lambda, other = (float)(1 - lambda);
        float[] last = ArrayPool<float>.Shared.Rent(rowLength);
        float[] scratch = ArrayPool<float>.Shared.Rent(rowLength);
        try
        {
            data.Slice((rows - 1) * rowLength, rowLength).CopyTo(last);
            for (int i = rows - 1; i >= 0; i--)
            {
                ReadOnlySpan<float> partner = i > 0 ? data.Slice((i - 1) * rowLength, rowLength) : last.AsSpan(0, rowLength);
                Span<float> row = data.Slice(i * rowLength, rowLength);
                Span<float> weighted = scratch.AsSpan(0, rowLength);
                TensorPrimitives.Multiply(partner, other, weighted);
                TensorPrimitives.MultiplyAdd(row, own, weighted, row);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(last);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The byte tensor's blend: every value becomes <paramref name="lambda"/> · value + (1 − <paramref name="lambda"/>) · partner's,
    /// computed in float32 and rounded to the nearest byte.
    /// </summary>
    public static void Blend(Span<byte> data, int rows, int rowLength, double lambda)
    {
        if (rows < 2)
        {
            return;
        }

        float own = (float)lambda, other = (float)(1 - lambda);
        byte[] last = ArrayPool<byte>.Shared.Rent(rowLength);
        try
        {
            data.Slice((rows - 1) * rowLength, rowLength).CopyTo(last);
            for (int i = rows - 1; i >= 0; i--)
            {
                ReadOnlySpan<byte> partner = i > 0 ? data.Slice((i - 1) * rowLength, rowLength) : last.AsSpan(0, rowLength);
                Span<byte> row = data.Slice(i * rowLength, rowLength);
                for (int k = 0; k < rowLength; k++)
                {
                    row[k] = (byte)MathF.Round(row[k] * own + partner[k] * other);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(last);
        }
    }

    /// <summary>
    /// Copies the box [x1, x2) × [y1, y2) of every row's partner into the row, on every channel. <paramref name="shape"/> is
    /// the batch's [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC).
    /// </summary>
    public static void PasteBox<T>(Span<T> data, ReadOnlySpan<int> shape, TensorLayout layout, (int X1, int Y1, int X2, int Y2) box)
        where T : unmanaged
    {
        int rows = shape[0];
        if (rows < 2 || box.X2 <= box.X1 || box.Y2 <= box.Y1)
        {
            return;
        }

        int rowLength = shape[1] * shape[2] * shape[3];
        T[] last = ArrayPool<T>.Shared.Rent(rowLength);
        try
        {
            data.Slice((rows - 1) * rowLength, rowLength).CopyTo(last);
            for (int i = rows - 1; i >= 0; i--)
            {
                ReadOnlySpan<T> partner = i > 0 ? data.Slice((i - 1) * rowLength, rowLength) : last.AsSpan(0, rowLength);
                CopyBox(partner, data.Slice(i * rowLength, rowLength), shape, layout, box);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(last);
        }
    }

    /// <summary>The (width, height) of the images of a batch of <paramref name="shape"/> in <paramref name="layout"/>.</summary>
    public static (int Width, int Height) ImageSize(ReadOnlySpan<int> shape, TensorLayout layout) =>
        layout == TensorLayout.Nchw ? (shape[3], shape[2]) : (shape[2], shape[1]);

    private static void CopyBox<T>(ReadOnlySpan<T> from, Span<T> to, ReadOnlySpan<int> shape, TensorLayout layout, (int X1, int Y1, int X2, int Y2) box)
    {
        if (layout == TensorLayout.Nchw)
        {
            int channels = shape[1], height = shape[2], width = shape[3], length = box.X2 - box.X1;
            for (int c = 0; c < channels; c++)
            {
                for (int y = box.Y1; y < box.Y2; y++)
                {
                    int start = (c * height + y) * width + box.X1;
                    from.Slice(start, length).CopyTo(to.Slice(start, length));
                }
            }
        }
        else
        {
            int width = shape[2], channels = shape[3], length = (box.X2 - box.X1) * channels;
            for (int y = box.Y1; y < box.Y2; y++)
            {
                int start = (y * width + box.X1) * channels;
                from.Slice(start, length).CopyTo(to.Slice(start, length));
            }
        }
    }
}
