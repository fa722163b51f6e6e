using System.Text.Json;
using Dataflow.Samples;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

/// <summary>Runs a samples command line in-process and keeps what it wrote.</summary>
internal sealed record SampleRun(int ExitCode, string Output, string Error)
{
    /// <summary>The cut digits shared by every test in this run (the cut is atomic, so parallel tests can share it).</summary>
    public static string SharedCacheRoot { get; } = Path.Combine(Path.GetTempPath(), "dataflow-tests", "samples-cache");

    /// <summary>A path under the temp folder that does not exist.</summary>
    public static string AbsentPath(string prefix) => Path.Combine(Path.GetTempPath(), "dataflow-tests", prefix + "-" + Guid.NewGuid().ToString("N"));

    public static async Task<SampleRun> RunAsync(params string[] args) => await RunInAsync(SharedCacheRoot, args);

    public static Task<SampleRun> RunInAsync(string cacheRoot, params string[] args) =>
        CaptureAsync(cacheRoot, environment => Program.RunAsync(args, environment));

    private static async Task<SampleRun> CaptureAsync(string cacheRoot, Func<CommandEnvironment, Task<int>> run)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await run(CommandEnvironment.ForWriters(output, error, cacheRoot));
        return new SampleRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The output parsed as one JSON document.</summary>
    public JsonElement Json()
    {
        Assert.AreEqual(0, ExitCode, Error);
        using JsonDocument document = JsonDocument.Parse(Output);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a user error: non-zero exit, one line naming <paramref name="expected"/>, no stack trace.</summary>
    public void AssertOneLineError(string expected, int exitCode)
    {
        Assert.AreEqual(exitCode, ExitCode, Output + Error);
        string[] lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, Error);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", Error);
    }
}
