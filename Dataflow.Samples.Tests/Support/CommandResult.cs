using System.Diagnostics;
using System.Text.Json;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests.Support;

/// <summary>What a command line of the samples or tools app wrote and how it ended (shared by both apps' tests).</summary>
internal record CommandResult(int ExitCode, string Output, string Error)
{
    /// <summary>A path under the temp folder that does not exist.</summary>
    public static string AbsentPath(string prefix) => Path.Combine(Path.GetTempPath(), "dataflow-tests", prefix + "-" + Guid.NewGuid().ToString("N"));

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

    /// <summary>Runs an app's entry point in-process on writers of its own, and returns its exit code and what it wrote.</summary>
    protected static async Task<(int ExitCode, string Output, string Error)> CaptureAsync(Func<CommandEnvironment, Task<int>> run, string? cacheRoot = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await run(CommandEnvironment.ForWriters(output, error, cacheRoot));
        return (code, output.ToString(), error.ToString());
    }
}

/// <summary>Runs a program as a real child process, with its output captured and a guard of three minutes.</summary>
internal static class ChildProcess
{
    /// <summary>The dotnet host that runs the tests.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, the variables in <paramref name="removed"/> taken out of its environment and <paramref name="environment"/> set.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string> environment, IEnumerable<string>? removed = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string name in removed ?? [])
        {
            start.Environment.Remove(name);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertFailedException($"{file} {string.Join(' ', start.ArgumentList)} did not end within 3 minutes.");
        }

        return (process.ExitCode, await output, await error);
    }
}
