using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Tests.Support;

namespace Dataflow.Tools.Tests;

/// <summary>The bench's measurements run for real on a small folder (what they count, not how fast: no timings are asserted).</summary>
[TestClass]
public sealed class BenchCommandTests
{
    private static async Task<JsonElement> VariantAsync(string root, string variant, params string[] extra) =>
        (await ToolRun.RunAsync(["bench-variant", "--variant", variant, "--data", root, "--width", "16", "--height", "12", "--batch-size", "4", .. extra])).Json();

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
    public async Task BenchVariant_JitLog_ListsCompiledMethodsAndLoadedTypesBetweenItsMarks()
    {
        // A child process of its own: the log listens to the whole process's runtime events.
        using var data = new TempDataset().WithClasses(2, 4, 40, 30);
        string log = Path.Combine(data.Root, "..", $"jit-{Guid.NewGuid():N}.txt");
        try
        {
            ToolProcess.Result run = await ToolProcess.RunAsync(
                new Dictionary<string, string> { ["DATAFLOW_BENCH_JIT_LOG"] = log },
                "bench-variant", "--variant", "pipeline", "--data", data.Root, "--width", "16", "--height", "12", "--batch-size", "4");
            Assert.AreEqual(0, run.ExitCode, run.Error);

            string[] lines = File.ReadAllLines(log);
            int build = Array.FindIndex(lines, l => l.EndsWith(" -- build", StringComparison.Ordinal));
            int first = Array.FindIndex(lines, l => l.EndsWith(" -- first batch", StringComparison.Ordinal));
            Assert.IsTrue(build >= 0 && first > build, string.Join('\n', lines.Take(20)));
            // The test's child is a plain (JIT) build: the library's own methods are compiled while the first batch is made.
            string[] between = lines[(build + 1)..first];
            Assert.IsTrue(between.Any(l => l.Contains(" Dataflow.Pipeline.", StringComparison.Ordinal)), "a compiled method of the library");
            Assert.IsTrue(between.Any(l => l.Contains(" type:", StringComparison.Ordinal)), "a loaded type");
            foreach (string line in between)
            {
                string[] fields = line.Split(' ', 4);
                Assert.HasCount(4, fields, line);
                Assert.IsTrue(double.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, out _), line);
            }
        }
        finally
        {
            File.Delete(log);
        }
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
        // Its first batch (the floor of a pipeline's): here the whole run is shorter than one batch of 32.
        Assert.IsGreaterThan(0.0, m.GetProperty("FirstBatchSeconds").GetDouble());
    }

    [TestMethod]
    public async Task Bench_UnknownVariant_OneLineErrorNamingTheOption()
    {
        using var data = new TempDataset().WithClasses(1, 1);

        ToolRun run = await ToolRun.RunAsync("bench", "--data", data.Root, "--variants", "ceiling,fastest");

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
    public async Task BenchVariant_GrayInterpolationArea_CountsEveryImage()
    {
        // The colour and interpolation are spelled as in every other command (rgb, bgr, gray; nearest, bilinear, area, cubic).
        using var data = new TempDataset().WithClasses(2, 3, 40, 30);

        JsonElement m = await VariantAsync(data.Root, "pipeline", "--color", "gray", "--interpolation", "area", "--normalization", "zero-to-one");

        Assert.AreEqual(6, m.GetProperty("Images").GetInt64());
    }

    [TestMethod]
    [DataRow("--color", "Grayscale", "--color must be one of rgb, bgr, gray, was 'Grayscale'.")]
    [DataRow("--interpolation", "Bilinear", "--interpolation must be one of nearest, bilinear, area, cubic, antialiased, was 'Bilinear'.")]
    [DataRow("--batch-size", "0", "--batch-size must be between 1 and 65536, was 0.")]
    [DataRow("--width", "20000", "--width must be between 1 and 16384, was 20000.")]
    [DataRow("--epochs", "0", "--epochs must be between 1 and 100000, was 0.")]
    [DataRow("--parallelism", "300", "--parallelism must be between 1 and 256, was 300.")]
    public async Task Bench_ValueInAnotherSpellingOrOutOfTheLibrarysRange_OneLineNamingTheFlagAndTheAllowedValues(string option, string value, string expected)
    {
        // The spellings are every command's (rgb, bgr, gray; nearest, bilinear ...); the ranges the library's (PipelineOptions.Validate).
        using var data = new TempDataset().WithClasses(1, 1);

        ToolRun run = await ToolRun.RunAsync("bench", "--data", data.Root, option, value);

        run.AssertOneLineError(expected, ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Bench_BytesInFlightZero_OneLineErrorNamingTheOption()
    {
        using var data = new TempDataset().WithClasses(1, 1);

        ToolRun run = await ToolRun.RunAsync("bench", "--data", data.Root, "--bytes-in-flight", "0");

        run.AssertOneLineError("--bytes-in-flight must be at least 1, was 0.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Bench_MissingFolder_OneLineErrorNamingIt()
    {
        string absent = ToolRun.AbsentPath("bench");

        ToolRun run = await ToolRun.RunAsync("bench", "--data", absent);

        run.AssertOneLineError($"--data: the folder '{absent}' does not exist.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task NativeBuild_RunsTheBenchChild_ItsMeasurementReadsBack()
    {
        using var data = new TempDataset().WithClasses(2, 5, 40, 30);

        ToolRun run = await ToolRun.RunNativeAsync("bench-variant", "--variant", "pipeline", "--data", data.Root,
            "--width", "16", "--height", "12", "--batch-size", "4", "--epochs", "2");

        JsonElement m = run.Json();
        Assert.AreEqual("pipeline", m.GetProperty("Variant").GetString());
        Assert.AreEqual(20, m.GetProperty("Images").GetInt64());
        Assert.IsTrue(m.GetProperty("StageMsPerImage").TryGetProperty("decode", out _), m.ToString());
    }

    [TestMethod]
    [DataRow("train")]
    [DataRow("bench")]
    public async Task NativeBuild_AnyOtherCommand_OneLineErrorSayingWhatItRuns(string command)
    {
        using var data = new TempDataset().WithClasses(1, 1);

        ToolRun run = await ToolRun.RunNativeAsync(command, "--data", data.Root);

        run.AssertOneLineError("this native build runs 'bench-variant' only", ExitCodes.UsageError);
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Bench_ChildFromTheEnvironment_RunsEveryMeasurement()
    {
        // DATAFLOW_BENCH_CHILD names the executable of the measurements (build.sh: the native AOT build). Here a script
        // that counts its calls and runs this build of the app; one round of two variants is two calls.
        using var data = new TempDataset().WithClasses(2, 3, 40, 30);
        string folder = Directory.CreateTempSubdirectory("dataflow-bench-child-").FullName;
        try
        {
            string calls = Path.Combine(folder, "calls");
            string script = Path.Combine(folder, "child.sh");
            string host = ChildProcess.DotnetHost;
            string dll = ToolProcess.ToolsDll;
            File.WriteAllText(script, $"#!/bin/sh\necho \"$1\" >> '{calls}'\nexec '{host}' '{dll}' \"$@\"\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            ToolProcess.Result run = await ToolProcess.RunAsync(
                new Dictionary<string, string> { ["DATAFLOW_BENCH_CHILD"] = script },
                "bench", "--data", data.Root, "--variants", "ceiling,pipeline", "--rounds", "1", "--width", "16", "--height", "12",
                "--batch-size", "2", "--json");

            Assert.AreEqual(0, run.ExitCode, run.Error);
            CollectionAssert.AreEqual(new[] { "bench-variant", "bench-variant" }, File.ReadAllLines(calls));
            using JsonDocument report = JsonDocument.Parse(run.Output);
            Assert.AreEqual(script, report.RootElement.GetProperty("childBuild").GetString());
            Assert.AreEqual(6, report.RootElement.GetProperty("measurements")[1].GetProperty("images").GetInt64());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public async Task Bench_ChildFromTheEnvironmentMissing_OneLineErrorNamingIt()
    {
        using var data = new TempDataset().WithClasses(1, 2);
        string absent = ToolRun.AbsentPath("bench-child");

        ToolProcess.Result run = await ToolProcess.RunAsync(
            new Dictionary<string, string> { ["DATAFLOW_BENCH_CHILD"] = absent }, "bench", "--data", data.Root, "--rounds", "1");

        Assert.AreEqual(ExitCodes.UsageError, run.ExitCode, run.Output + run.Error);
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, run.Error);
        Assert.Contains($"DATAFLOW_BENCH_CHILD: the executable '{absent}' does not exist", lines[0]);
    }
}
