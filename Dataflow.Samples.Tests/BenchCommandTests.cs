using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Samples.Tests;

/// <summary>The bench's measurements run for real on a small folder (what they count, not how fast: no timings are asserted).</summary>
[TestClass]
public sealed class BenchCommandTests
{
    private static async Task<JsonElement> VariantAsync(string root, string variant, params string[] extra) =>
        (await SampleRun.RunAsync(["bench-variant", "--variant", variant, "--data", root, "--width", "16", "--height", "12", "--batch-size", "4", .. extra])).Json();

    [TestMethod]
    public async Task BenchVariant_Pipeline_CountsEveryImageAndReportsItsStages()
    {
        using var data = new TempDataset().WithClasses(2, 5, 40, 30);

        JsonElement m = await VariantAsync(data.Root, "pipeline", "--epochs", "2");

        Assert.AreEqual("pipeline", m.GetProperty("Variant").GetString());
        Assert.AreEqual(20, m.GetProperty("Images").GetInt64());
        Assert.IsGreaterThan(0.0, m.GetProperty("FirstBatchSeconds").GetDouble());
        Assert.IsGreaterThan(0.0, m.GetProperty("PeakRssMiB").GetDouble());
        Assert.IsTrue(m.GetProperty("StageMsPerImage").TryGetProperty("decode", out _), m.ToString());
    }

    [TestMethod]
    public async Task BenchVariant_SplitStages_RunsTheNoOpStage()
    {
        using var data = new TempDataset().WithClasses(2, 3, 40, 30);

        JsonElement m = await VariantAsync(data.Root, "pipeline-full", "--split-stages");

        Assert.AreEqual(6, m.GetProperty("Images").GetInt64());
        Assert.IsTrue(m.GetProperty("StageMsPerImage").TryGetProperty("no-op", out _), m.ToString());
    }

    [TestMethod]
    [DataRow("pipeline-bytes")]
    [DataRow("pipeline-cache")]
    [DataRow("pipeline-cache-bytes")]
    public async Task BenchVariant_ByteOutputAndCache_CountEveryImageAndTheLaterEpochs(string variant)
    {
        using var data = new TempDataset().WithClasses(2, 3, 40, 30);

        JsonElement m = await VariantAsync(data.Root, variant, "--epochs", "3");

        Assert.AreEqual(variant, m.GetProperty("Variant").GetString());
        Assert.AreEqual(18, m.GetProperty("Images").GetInt64());
        Assert.IsGreaterThan(0, m.GetProperty("LaterEpochsImagesPerSecond").GetDouble());
    }

    [TestMethod]
    [DataRow("ceiling")]
    [DataRow("ceiling-reduced")]
    public async Task BenchVariant_Ceiling_DecodesEveryFileOncePerEpoch(string variant)
    {
        using var data = new TempDataset().WithClasses(3, 4, 40, 30, ".jpg");

        JsonElement m = await VariantAsync(data.Root, variant, "--epochs", "2", "--ceiling-threads", "2");

        Assert.AreEqual(variant, m.GetProperty("Variant").GetString());
        Assert.AreEqual(24, m.GetProperty("Images").GetInt64());
        Assert.AreEqual(JsonValueKind.Null, m.GetProperty("FirstBatchSeconds").ValueKind);
    }

    [TestMethod]
    public async Task Bench_UnknownVariant_OneLineErrorNamingTheOption()
    {
        using var data = new TempDataset().WithClasses(1, 1);

        SampleRun run = await SampleRun.RunAsync("bench", "--data", data.Root, "--variants", "ceiling,fastest");

        run.AssertOneLineError("--variants: unknown variant 'fastest'", 2);
    }

    [TestMethod]
    public async Task BenchVariant_LocalShardsWithOneMiBInFlight_CountsEveryImage()
    {
        using var data = new TempDataset().WithClasses(2, 5, 40, 30);

        JsonElement m = await VariantAsync(data.Root, "shards-local", "--epochs", "2", "--shuffle-buffer", "4", "--bytes-in-flight", "1");

        Assert.AreEqual("shards-local", m.GetProperty("Variant").GetString());
        Assert.AreEqual(20, m.GetProperty("Images").GetInt64());
    }

    [TestMethod]
    public async Task Bench_BytesInFlightZero_OneLineErrorNamingTheOption()
    {
        using var data = new TempDataset().WithClasses(1, 1);

        SampleRun run = await SampleRun.RunAsync("bench", "--data", data.Root, "--bytes-in-flight", "0");

        run.AssertOneLineError("--bytes-in-flight must be at least 1, was 0.", Commands.ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Bench_MissingFolder_OneLineErrorNamingIt()
    {
        string absent = SampleRun.AbsentPath("bench");

        SampleRun run = await SampleRun.RunAsync("bench", "--data", absent);

        run.AssertOneLineError($"--data: the folder '{absent}' does not exist.", Commands.ExitCodes.UsageError);
    }
}
