using System.Text;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// Orders strings by Unicode code point, as Python's <c>sorted</c> does (and so Keras and torchvision
/// when they number classes). <see cref="StringComparer.Ordinal"/> compares UTF-16 code units instead,
/// which puts characters outside the BMP before U+E000–U+FFFF.
/// </summary>
public sealed class CodePointComparer : IComparer<string>
{
    /// <summary>The single instance.</summary>
    public static CodePointComparer Instance { get; } = new();

    private CodePointComparer()
    {
    }

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        // Fast path: past the common prefix (compared vectorized), two BMP characters that are not surrogates
        // order the same by code unit as by code point. Surrogates take the rune-by-rune comparison below.
        int common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        if (!char.IsSurrogate(x[common]) && !char.IsSurrogate(y[common]))
        {
            return x[common].CompareTo(y[common]);
        }

        var ex = x.EnumerateRunes();
        var ey = y.EnumerateRunes();
        while (true)
        {
            bool hx = ex.MoveNext();
            bool hy = ey.MoveNext();
            if (!hx || !hy)
            {
                return hx.CompareTo(hy);
            }

            int c = ex.Current.Value.CompareTo(ey.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }
}
