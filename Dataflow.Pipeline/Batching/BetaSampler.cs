namespace Dataflow.Pipeline.Batching;

/// <summary>Draws from Beta(α, α), the distribution of MixUp's and CutMix's lambda, with a <see cref="SampleRandom"/>.</summary>
internal static class BetaSampler
{
    /// <summary>A draw from Beta(<paramref name="alpha"/>, <paramref name="alpha"/>): X / (X + Y) with X, Y ~ Gamma(α), in log space so small α cannot underflow.</summary>
    public static double Symmetric(double alpha, SampleRandom random)
    {
        double logX = LogGamma(alpha, random), logY = LogGamma(alpha, random);
        return 1.0 / (1.0 + Math.Exp(logY - logX));
    }

    /// <summary>The logarithm of a Gamma(<paramref name="shape"/>, 1) draw (Marsaglia and Tsang; shape below 1 boosted by U^(1/shape)).</summary>
    private static double LogGamma(double shape, SampleRandom random)
    {
        if (shape < 1)
        {
            double boost = Math.Log(1.0 - random.NextDouble()) / shape;
            return LogGamma(shape + 1, random) + boost;
        }

        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x = Normal(random);
            double v = 1 + c * x;
            if (v <= 0)
            {
                continue;
            }

            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
            {
                return Math.Log(d) + Math.Log(v);
            }
        }
    }

    /// <summary>A standard normal draw (Box–Muller, one of the pair).</summary>
    private static double Normal(SampleRandom random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
