using System.Numerics;
using System.Text.Json;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class CatalanCommandTests
{
    [TestMethod]
    public async Task Catalan_Defaults_PrintsTheFirstTenInTwoChunksOfFive()
    {
        SampleRun run = await SampleRun.RunAsync("catalan");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("chunk 1: 1, 1, 2, 5, 14" + Environment.NewLine, run.Output);
        Assert.Contains("chunk 2: 42, 132, 429, 1430, 4862" + Environment.NewLine, run.Output);
        Assert.DoesNotContain("chunk 3", run.Output);
    }

    [TestMethod]
    public async Task Catalan_ManyNumbers_MatchTheBinomialFormulaWithoutOverflow()
    {
        SampleRun run = await SampleRun.RunAsync("catalan", "--count", "120", "--chunk", "7", "--bound", "3", "--json");

        JsonElement json = run.Json();
        JsonElement[] chunks = [.. json.GetProperty("chunks").EnumerateArray()];
        Assert.HasCount(18, chunks);
        Assert.AreEqual(1, chunks[^1].GetArrayLength());
        BigInteger[] values = [.. chunks.SelectMany(c => c.EnumerateArray()).Select(v => BigInteger.Parse(v.GetString()!))];
        Assert.HasCount(120, values);
        for (int n = 0; n < values.Length; n++)
        {
            // C(n) = (2n)! / ((n + 1)! n!)
            Assert.AreEqual(Factorial(2 * n) / (Factorial(n + 1) * Factorial(n)), values[n], $"C({n})");
        }

        Assert.IsLessThanOrEqualTo(3L, json.GetProperty("maxLead").GetInt64());
    }

    [TestMethod]
    [DataRow("--count", "0", "--count must be between 1 and 100000, was 0.")]
    [DataRow("--bound", "-1", "--bound must be between 1 and 100000, was -1.")]
    public async Task Catalan_BadOption_FailsWithOneLine(string option, string value, string expected)
    {
        SampleRun run = await SampleRun.RunAsync("catalan", option, value);

        run.AssertOneLineError(expected, Dataflow.Samples.Commands.ExitCodes.UsageError);
    }

    private static BigInteger Factorial(int n)
    {
        BigInteger f = BigInteger.One;
        for (int i = 2; i <= n; i++)
        {
            f *= i;
        }

        return f;
    }
}
