using System.Diagnostics;

namespace Dataflow.Samples.Tests;

/// <summary>The repository's <c>build.sh</c>, run as a user runs it: a bash process in the repository's root.</summary>
[TestClass]
public sealed class BuildScriptTests
{
    [TestMethod]
    public async Task BenchHelp_AppBuilt_PrintsUsageWithoutPublishing()
    {
        // The bench publishes a ReadyToRun and a native AOT build before it runs (minutes): help must not wait for them.
        (int exitCode, string output, string error) = await RunAsync("bench", "--help");

        Assert.AreEqual(0, exitCode, error);
        StringAssert.Contains(output, "Usage:");
        StringAssert.Contains(output, "bench");
        Assert.DoesNotContain("publishing", error);
    }

    [TestMethod]
    public async Task CommandHelp_AppBuilt_PrintsTheCommandsUsage()
    {
        (int exitCode, string output, string error) = await RunAsync("augment-preview", "-h");

        Assert.AreEqual(0, exitCode, error);
        StringAssert.Contains(output, "augment-preview");
        StringAssert.Contains(output, "--out");
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "build.sh"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
