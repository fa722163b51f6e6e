namespace Dataflow.Pipeline.Tests.Discovery;

[TestClass]
public sealed class SampleRandomTests
{
    [TestMethod]
    public void NextUInt64_SameKey_SameSequenceAndOtherKey_Differs()
    {
        var a = new SampleRandom(7, 1, 2, 3);
        var b = new SampleRandom(7, 1, 2, 3);
        var c = new SampleRandom(7, 1, 2, 4);
        ulong[] sa = [.. Enumerable.Range(0, 8).Select(_ => a.NextUInt64())];
        ulong[] sb = [.. Enumerable.Range(0, 8).Select(_ => b.NextUInt64())];
        ulong[] sc = [.. Enumerable.Range(0, 8).Select(_ => c.NextUInt64())];
        CollectionAssert.AreEqual(sa, sb);
        CollectionAssert.AreNotEqual(sa, sc);
    }

    [TestMethod]
    public void NextInt_ManyDraws_StayInRangeAndCoverIt()
    {
        var r = new SampleRandom(1);
        var seen = new bool[10];
        for (int i = 0; i < 1000; i++)
        {
            int v = r.NextInt(10);
            Assert.IsTrue(v is >= 0 and < 10);
            seen[v] = true;
            double d = r.Uniform(-2, 3);
            Assert.IsTrue(d >= -2 && d < 3);
        }

        Assert.IsTrue(seen.All(s => s));
    }

    [TestMethod]
    public void Shuffle_IsAPermutation()
    {
        int[] items = [.. Enumerable.Range(0, 50)];
        new SampleRandom(3).Shuffle<int>(items);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).ToArray(), items);
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 50).ToArray(), items);
    }
}
