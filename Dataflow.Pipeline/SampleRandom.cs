namespace Dataflow.Pipeline;

/// <summary>
/// A small, fast, deterministic random generator (xoshiro256**) seeded from a tuple of integers.
/// </summary>
/// <remarks>
/// Every sample gets its own generator derived from (seed, epoch, sample index), so its random
/// choices do not depend on which thread ran it, in which order, or what ran before. The sequence
/// for a given key is fixed by this implementation and never changes between releases.
/// </remarks>
public sealed class SampleRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator for the key (<paramref name="seed"/>, <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/>).</summary>
    public SampleRandom(long seed, long a = 0, long b = 0, long c = 0)
    {
        Reset(seed, a, b, c);
    }

    /// <summary>Re-seeds this generator for another key, as if newly created.</summary>
    public void Reset(long seed, long a = 0, long b = 0, long c = 0)
    {
        ulong x = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        x = Mix(x ^ (ulong)a);
        x = Mix(x ^ (ulong)b * 0xD1B54A32D192ED03UL);
        x = Mix(x ^ (ulong)c * 0x8CB92BA72F3D8DD7UL);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform double in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "Must be positive.");
        }

        // Lemire's multiply-shift; the tiny bias (< 2^-32) is irrelevant for augmentation and shuffling.
        return (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    public int NextInt(int min, int maxInclusive) => min + NextInt(maxInclusive - min + 1);

    /// <summary>True with probability <paramref name="p"/>; draws one number whatever <paramref name="p"/> is.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    /// <remarks>Not marked for aggressive optimization: that would keep it out of a ReadyToRun image and compile it at
    /// start-up; without ReadyToRun, on-stack replacement optimizes the loop of a million-sample shuffle as it runs.</remarks>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
