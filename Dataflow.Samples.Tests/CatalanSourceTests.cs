using System.Numerics;
using Dataflow.Samples.Generators;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class CatalanSourceTests
{
    [TestMethod]
    public async Task TakeAsync_TwoChunksOfFive_GivesTheFirstTenCatalanNumbers()
    {
        await using var source = new CatalanSource(boundedCapacity: 4);

        BigInteger[] first = await source.TakeAsync(5);
        BigInteger[] second = await source.TakeAsync(5);

        CollectionAssert.AreEqual(new BigInteger[] { 1, 1, 2, 5, 14 }, first);
        CollectionAssert.AreEqual(new BigInteger[] { 42, 132, 429, 1430, 4862 }, second);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(8)]
    public async Task Produced_ConsumerWaitsForAFullBuffer_ProducerIsNeverMoreThanTheBoundAhead(int bound)
    {
        await using var source = new CatalanSource(bound);
        long consumed = 0;
        for (int i = 0; i < 40; i++)
        {
            // Give the producer every chance to run ahead: wait until it has filled the buffer.
            for (int spin = 0; source.Produced < consumed + bound && spin < 1_000_000; spin++)
            {
                await Task.Yield();
            }

            long lead = source.Produced - consumed;
            Assert.AreEqual(bound, lead, $"after {consumed} taken");
            await source.TakeAsync(1);
            consumed++;
        }
    }

    [TestMethod]
    public void Sequence_FirstThirty_FollowTheRecurrence()
    {
        BigInteger[] c = [.. CatalanSource.Sequence().Take(30)];

        // C(n+1) = sum over i of C(i) * C(n - i)
        for (int n = 0; n + 1 < c.Length; n++)
        {
            BigInteger sum = BigInteger.Zero;
            for (int i = 0; i <= n; i++)
            {
                sum += c[i] * c[n - i];
            }

            Assert.AreEqual(sum, c[n + 1], $"C({n + 1})");
        }
    }

    [TestMethod]
    public void Constructor_ZeroBound_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CatalanSource(0));

        Assert.AreEqual("boundedCapacity", e.ParamName);
    }
}
