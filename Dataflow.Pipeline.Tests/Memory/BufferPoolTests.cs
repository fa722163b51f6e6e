using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Tests.Memory;

[TestClass]
public sealed class BufferPoolTests
{
    [TestMethod]
    public void Rent_AboveMaxPooledLength_ExactSizeAndCollectedAfterDispose()
    {
        var pool = new BufferPool();
        WeakReference array = RentAndDispose(pool, BufferPool.MaxPooledLength + 1);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Nothing keeps the array once it is returned: no pool holds outliers after the run.
        Assert.IsFalse(array.IsAlive, "the returned outlier is still referenced");
        Assert.AreEqual(1L, pool.Unpooled);
        Assert.AreEqual(0L, pool.Outstanding);
        Assert.AreEqual(BufferPool.MaxPooledLength + 1L, pool.LargestRental);
    }

    [TestMethod]
    public void Rent_AtMostMaxPooledLength_FromTheSharedPool()
    {
        var pool = new BufferPool();
        using (PooledBuffer buffer = pool.Rent(BufferPool.MaxPooledLength))
        {
            Assert.AreEqual(BufferPool.MaxPooledLength, buffer.Length);
            Assert.HasCount(BufferPool.MaxPooledLength, buffer.Array);
        }

        using (PooledBuffer small = pool.Rent(1000))
        {
            Assert.AreEqual(1000, small.Length);
            Assert.HasCount(1024, small.Array, "a power of two from the shared pool");
        }

        Assert.AreEqual(0L, pool.Unpooled);
        Assert.AreEqual(0L, pool.Outstanding);
        Assert.AreEqual(2L, pool.Rentals);
    }

    // A separate frame, so that no local of the test keeps the array reachable.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RentAndDispose(BufferPool pool, int length)
    {
        PooledBuffer buffer = pool.Rent(length);
        Assert.HasCount(length, buffer.Array, "allocated for the one file, not rounded up to a pool bucket");
        Assert.AreEqual(1L, pool.Outstanding);
        var array = new WeakReference(buffer.Array);
        buffer.Dispose();
        return array;
    }
}
