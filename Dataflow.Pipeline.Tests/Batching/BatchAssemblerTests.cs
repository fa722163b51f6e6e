using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Tests.Batching;

[TestClass]
public sealed class BatchAssemblerTests
{
    private static (BatchAssembler Assembler, TensorPool Pool, ImageCounter Counter) Create(int batchSize)
    {
        var pool = new TensorPool();
        return (new BatchAssembler(pool, batchSize, [1, 1, 2], TensorLayout.Nchw, ["a", "b", "c"]), pool, new ImageCounter());
    }

    private static ImageSample Written(BatchAssembler assembler, ImageCounter counter, int index, int label, int slot)
    {
        var sample = new ImageSample(new SampleInfo(index, $"s{index}", label), PlannedBatch.Standalone(0, 0), index, slot, counter);
        Span<float> row = assembler.RowFor(sample);
        row[0] = index;
        row[1] = -index;
        sample.IsWritten = true;
        return sample;
    }

    [TestMethod]
    public void Assemble_RowsInSlotOrderWithLabelsOneHotAndPaths()
    {
        var (assembler, pool, counter) = Create(3);
        ImageSample[] group = [Written(assembler, counter, 10, 2, 1), Written(assembler, counter, 11, 0, 2), Written(assembler, counter, 12, 1, 0)];

        using (Batch batch = assembler.Assemble(group)!)
        {
            CollectionAssert.AreEqual(new[] { 3, 1, 1, 2 }, batch.Shape);
            CollectionAssert.AreEqual(new[] { "s12", "s10", "s11" }, batch.Paths);
            CollectionAssert.AreEqual(new[] { 1, 2, 0 }, batch.Labels);
            CollectionAssert.AreEqual(new[] { 12, 10, 11 }, batch.SampleIndices);
            CollectionAssert.AreEqual(new float[] { 0, 1, 0, 0, 0, 1, 1, 0, 0 }, batch.OneHot);
            CollectionAssert.AreEqual(new float[] { 12, -12, 10, -10, 11, -11 }, batch.Data.ToArray());
            Assert.AreEqual(1, pool.Outstanding);
        }

        Assert.AreEqual(0, pool.Outstanding);
    }

    [TestMethod]
    public void Assemble_SkippedSampleInTheMiddle_LaterRowsMoveUp()
    {
        var (assembler, _, counter) = Create(3);
        ImageSample skipped = Written(assembler, counter, 11, 0, 1);
        skipped.Skip("decode: corrupt");
        ImageSample[] group = [Written(assembler, counter, 10, 2, 0), skipped, Written(assembler, counter, 12, 1, 2)];

        using Batch batch = assembler.Assemble(group)!;

        CollectionAssert.AreEqual(new[] { "s10", "s12" }, batch.Paths);
        CollectionAssert.AreEqual(new float[] { 10, -10, 12, -12 }, batch.Data.ToArray());
        Assert.AreEqual(2, batch.Count);
    }

    [TestMethod]
    public void Assemble_EverySampleSkipped_NoBatchAndTensorReturned()
    {
        var (assembler, pool, counter) = Create(2);
        ImageSample a = Written(assembler, counter, 1, 0, 0);
        a.Skip("read: gone");
        var padding = new ImageSample(null, PlannedBatch.Standalone(0, 0), 1, -1, counter);

        Assert.IsNull(assembler.Assemble([a, padding]));
        Assert.AreEqual(0, pool.Outstanding);
    }

    [TestMethod]
    public void Assemble_GroupMixesBatches_ThrowsNamingBoth()
    {
        var (assembler, _, counter) = Create(2);
        var first = new ImageSample(new SampleInfo(0, "x", 0), PlannedBatch.Standalone(0, 0), 0, 0, counter);
        var other = new ImageSample(new SampleInfo(1, "y", 0), PlannedBatch.Standalone(0, 1), 2, 0, counter);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => assembler.Assemble([first, other]));
        StringAssert.Contains(e.Message, "'x'");
        StringAssert.Contains(e.Message, "'y'");
    }

    [TestMethod]
    public void Data_AfterDispose_Throws()
    {
        var (assembler, _, counter) = Create(1);
        Batch batch = assembler.Assemble([Written(assembler, counter, 0, 0, 0)])!;
        batch.Dispose();
        batch.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => batch.Data.Length);
    }
}
