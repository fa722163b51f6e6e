using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Batching;

/// <summary>The batch's memory, tensor-span and pointer views: the batch's own pooled array, valid until disposed.</summary>
[TestClass]
public sealed class BatchTests
{
    private static PipelineOptions Options => new() { Width = 8, Height = 6, BatchSize = 4, Epochs = 1, Seed = 3 };

    /// <summary>Streams <paramref name="data"/> to the end, keeping every batch (undisposed) in <paramref name="batches"/>.</summary>
    private static async Task<ImagePipeline> StreamAsync(TempDataset data, List<Batch> batches, PipelineOptions? options = null)
    {
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options ?? Options).BuildStream();
        pipeline.Post(data.Root);
        pipeline.Complete();
        await foreach (Batch batch in pipeline.ReadAllAsync())
        {
            batches.Add(batch);
        }

        await pipeline.Completion;
        return pipeline;
    }

    [TestMethod]
    public async Task Views_SameAddressAndShape_WritesThroughOneSeenThroughTheOthers()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 3);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches);
        Batch batch = batches[0];
        try
        {
            float[] before = batch.Data.ToArray();
            TensorSpan<float> tensor = batch.AsTensorSpan();
            ReadOnlyTensorSpan<float> readOnlyTensor = batch.AsReadOnlyTensorSpan();
            CollectionAssert.AreEqual(batch.Shape.Select(n => (nint)n).ToArray(), tensor.Lengths.ToArray());
            CollectionAssert.AreEqual(batch.Shape.Select(n => (nint)n).ToArray(), readOnlyTensor.Lengths.ToArray());
            Assert.AreEqual(batch.Data.Length, (int)tensor.FlattenedLength);
            Assert.AreEqual(batch.Data.Length, batch.Memory.Length);
            Assert.AreEqual(batch.Data.Length, batch.ReadOnlyMemory.Length);

            // One address behind every view.
            unsafe
            {
                fixed (float* fromData = batch.Data)
                fixed (float* fromMemory = batch.Memory.Span)
                fixed (float* fromReadOnly = batch.ReadOnlyMemory.Span)
                fixed (float* fromTensor = &tensor.GetPinnableReference())
                {
                    using MemoryHandle pin = batch.Pin();
                    using MemoryHandle memoryPin = batch.Memory.Pin();
                    nint address = (nint)fromData;
                    Assert.AreEqual(address, (nint)fromMemory);
                    Assert.AreEqual(address, (nint)fromReadOnly);
                    Assert.AreEqual(address, (nint)fromTensor);
                    Assert.AreEqual(address, (nint)pin.Pointer);
                    Assert.AreEqual(address, (nint)memoryPin.Pointer);
                    Assert.AreEqual(address, batch.DataPointer);
                }
            }

            // Element [n, c, y, x] of the tensor is the row-major float of the span, and writes travel both ways.
            Assert.AreEqual(before[((1 * 3 + 2) * 6 + 4) * 8 + 5], tensor[1, 2, 4, 5]);
            tensor[1, 2, 4, 5] = 1234.5f;
            Assert.AreEqual(1234.5f, batch.Data[((1 * 3 + 2) * 6 + 4) * 8 + 5]);
            batch.Memory.Span[7] = -42f;
            Assert.AreEqual(-42f, readOnlyTensor[0, 0, 0, 7]);
            Assert.AreEqual(-42f, batch.ReadOnlyMemory.Span[7]);
            Marshal.Copy(new[] { 99f }, 0, batch.DataPointer + 3 * sizeof(float), 1);
            Assert.AreEqual(99f, batch.Row(0)[3]);
            Assert.AreEqual(99f, MemoryMarshal.ToEnumerable(batch.ReadOnlyMemory).ElementAt(3));
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }

        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Dispose_EveryViewThrows_IncludingMemoryTakenBefore()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 2);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches);
        Batch batch = batches[0];
        Memory<float> memory = batch.Memory;
        ReadOnlyMemory<float> readOnly = batch.ReadOnlyMemory;
        batches.ForEach(b => b.Dispose());

        Assert.ThrowsExactly<ObjectDisposedException>(() => memory.Span.Length);
        Assert.ThrowsExactly<ObjectDisposedException>(() => readOnly.Span.Length);
        Assert.ThrowsExactly<ObjectDisposedException>(() => memory.Pin());
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.Data.Length);
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.Memory);
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.ReadOnlyMemory);
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.AsTensorSpan().FlattenedLength);
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.AsReadOnlyTensorSpan().FlattenedLength);
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.Pin());
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.DataPointer);
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Pin_HeldAcrossDispose_ArrayReturnsToThePoolWhenReleased()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 2);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches);
        MemoryHandle pin = batches[0].Pin();
        MemoryHandle memoryPin = batches[0].Memory.Pin();
        batches.ForEach(b => b.Dispose());

        Assert.AreEqual(1, pipeline.Tensors.Outstanding, "a pinned batch's array stays out of the pool");
        pin.Dispose();
        Assert.AreEqual(1, pipeline.Tensors.Outstanding, "one pin is still held");
        memoryPin.Dispose();
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task FloatViews_ByteBatch_ThrowNamingByteData()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 2);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches, Options with { Output = Dataflow.Pipeline.Normalization.TensorElementType.UInt8, Normalization = Dataflow.Pipeline.Normalization.NormalizationOptions.None });
        Batch batch = batches[0];
        try
        {
            Assert.Contains("ByteData", Assert.ThrowsExactly<InvalidOperationException>(() => batch.Memory).Message);
            Assert.ThrowsExactly<InvalidOperationException>(() => batch.ReadOnlyMemory);
            Assert.ThrowsExactly<InvalidOperationException>(() => batch.AsTensorSpan().FlattenedLength);
            Assert.ThrowsExactly<InvalidOperationException>(() => batch.Pin());
            Assert.ThrowsExactly<InvalidOperationException>(() => batch.DataPointer);
            Assert.AreEqual(batch.Count * batch.SampleLength, batch.ByteData.Length);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }

        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task AsArraySegment_FullAndShortBatch_IsThePooledArrayWithTheBatchsElementsNoCopy()
    {
        // 6 images in batches of 4: a full batch, then a short one of 2 rows over an array of a full batch's length.
        using TempDataset data = new TempDataset().WithClasses(2, 3);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches);
        Assert.HasCount(2, batches);
        foreach (Batch batch in batches)
        {
            ArraySegment<float> segment = batch.AsArraySegment();
            Assert.AreEqual((0, batch.Count * batch.SampleLength, 4 * batch.SampleLength), (segment.Offset, segment.Count, segment.Array!.Length), batch.ToString());
            Assert.IsTrue(segment.AsSpan().SequenceEqual(batch.Data), batch.ToString());
            Assert.IsTrue(MemoryMarshal.TryGetArray(batch.ReadOnlyMemory, out ArraySegment<float> viaMemory));
            Assert.AreSame(segment.Array, viaMemory.Array);
            Assert.AreEqual((segment.Offset, segment.Count), (viaMemory.Offset, viaMemory.Count));
            segment.Array[segment.Offset + 1] = -7f;
            Assert.AreEqual(-7f, batch.Data[1], "a write through the array is seen through the batch: the same memory");
        }

        Memory<float> memory = batches[0].Memory;
        batches.ForEach(b => b.Dispose());
        Assert.ThrowsExactly<ObjectDisposedException>(() => batches[0].AsArraySegment());
        Assert.IsFalse(MemoryMarshal.TryGetArray((ReadOnlyMemory<float>)memory, out _), "no array from a disposed batch's memory");
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task AsByteArraySegment_ByteBatch_IsItsPooledArrayAndTheFloatOneThrowsNamingByteData()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 2);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches, Options with { Output = Dataflow.Pipeline.Normalization.TensorElementType.UInt8, Normalization = Dataflow.Pipeline.Normalization.NormalizationOptions.None });
        Batch batch = batches[0];
        ArraySegment<byte> segment = batch.AsByteArraySegment();
        Assert.IsTrue(segment.AsSpan().SequenceEqual(batch.ByteData));
        Assert.AreEqual("This batch holds UInt8 values; read ByteData (PipelineOptions.Output).", Assert.ThrowsExactly<InvalidOperationException>(() => batch.AsArraySegment()).Message);
        batches.ForEach(b => b.Dispose());
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.AsByteArraySegment());
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Int64Labels_RealBatch_TheLabelsAsLongMadeOnceAndReadableAfterDispose()
    {
        using TempDataset data = new TempDataset().WithClasses(3, 2);
        List<Batch> batches = [];
        await using ImagePipeline pipeline = await StreamAsync(data, batches);
        foreach (Batch batch in batches)
        {
            long[] labels = batch.Int64Labels;
            CollectionAssert.AreEqual(batch.Labels.Select(l => (long)l).ToArray(), labels);
            Assert.AreSame(labels, batch.Int64Labels, "made on first read, then kept");
            batch.Dispose();
            Assert.AreSame(labels, batch.Int64Labels);
        }
    }
}
