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

    [TestMethod]
    public void Compare_RandomPathsWithSharedPrefixesAndSurrogates_SameSignAsRuneByRune()
    {
        // Long shared prefixes (as paths have) and characters around the surrogate range, lone surrogates included.
        char[] alphabet = ['a', 'b', '/', '\uD7FF', '\uE000', '\uFB01', '\uFFFD', '\uD83D', '\uDE00', '\uD800', '\uDC00'];
        var random = new Random(3);
        string Make() => "/data/photos/class" + new string([.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
        for (int i = 0; i < 20_000; i++)
        {
            string x = Make(), y = Make();
            Assert.AreEqual(Math.Sign(RuneByRune(x, y)), Math.Sign(CodePointComparer.Instance.Compare(x, y)), $"'{x}' vs '{y}'");
        }
    }

    private static int RuneByRune(string x, string y)
    {
        int[] a = [.. x.EnumerateRunes().Select(r => r.Value)];
        int[] b = [.. y.EnumerateRunes().Select(r => r.Value)];
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            if (a[i] != b[i])
            {
                return a[i].CompareTo(b[i]);
            }
        }

        return a.Length.CompareTo(b.Length);
    }
}
