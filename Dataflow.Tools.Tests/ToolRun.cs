using System.Text.Json;
using Dataflow.Samples.Commands;

namespace Dataflow.Tools.Tests;

/// <summary>Runs a tools command line in-process and keeps what it wrote.</summary>
internal sealed record ToolRun(int ExitCode, string Output, string Error)
{
    /// <summary>A path under the temp folder that does not exist.</summary>
    public static string AbsentPath(string prefix) => Path.Combine(Path.GetTempPath(), "dataflow-tests", prefix + "-" + Guid.NewGuid().ToString("N"));

    public static Task<ToolRun> RunAsync(params string[] args) => CaptureAsync(environment => Program.RunAsync(args, environment));

    /// <summary>Runs a command line as the native AOT build of the app would (<see cref="Program.RunNativeAsync"/>).</summary>
    public static Task<ToolRun> RunNativeAsync(params string[] args) => CaptureAsync(environment => Program.RunNativeAsync(args, environment));

    private static async Task<ToolRun> CaptureAsync(Func<CommandEnvironment, Task<int>> run)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await run(CommandEnvironment.ForWriters(output, error));
        return new ToolRun(code, output.ToString(), error.ToString());
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
