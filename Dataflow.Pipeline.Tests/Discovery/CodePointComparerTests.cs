using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Tests.Discovery;

[TestClass]
public sealed class CodePointComparerTests
{
    [TestMethod]
    public void Compare_SupplementaryVersusHighBmp_OrdersByCodePoint()
    {
        // UTF-16 ordinal puts the surrogate pair (0xD83D...) before U+FB01; code points put it after.
        Assert.IsLessThan(0, string.CompareOrdinal("\U0001F600", "\uFB01"));
        Assert.IsGreaterThan(0, CodePointComparer.Instance.Compare("\U0001F600", "\uFB01"));
    }

    [TestMethod]
    public void Compare_Prefixes_ShorterFirst()
    {
        Assert.IsLessThan(0, CodePointComparer.Instance.Compare("ab", "abc"));
        Assert.AreEqual(0, CodePointComparer.Instance.Compare("abc", "abc"));
        Assert.IsGreaterThan(0, CodePointComparer.Instance.Compare("b", "abc"));
        Assert.IsLessThan(0, CodePointComparer.Instance.Compare("B", "a"));
    }
}
