using System.Diagnostics;
using System.Runtime.Versioning;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

/// <summary>
/// Folders the user may not list, seen by a real non-root user: the samples app runs as a child process (under
/// <c>setpriv</c> as <c>nobody</c> when the tests run as root, for whom modes deny nothing) on a dataset whose
/// modes deny it, through the real pipeline, and the one error line names the folder and the cause.
/// </summary>
[TestClass]
[SupportedOSPlatform("linux")]
public sealed class PermissionDeniedTests
{
    [TestMethod]
    public async Task Digest_ClassFolderMode000_FailsNamingItAndPermissionDenied()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        string locked = Path.Combine(data.Root, "class1");

        ChildRun run = await RunWithModeAsync(locked, UnixFileMode.None, "digest", "--data", data.Root, "--size", "8x8");

        run.AssertOneLineError($"The class folder '{locked}' cannot be listed: permission denied.", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Digest_RootMode0311_FailsNamingItAndPermissionDenied()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        const UnixFileMode wx = UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

        ChildRun run = await RunWithModeAsync(data.Root, wx, "digest", "--data", data.Root, "--size", "8x8");

        run.AssertOneLineError($"The dataset root '{data.Root}' cannot be listed: permission denied.", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Digest_ClassWhoseOnlySubFolderIsMode000_FailsNamingTheSubFolder()
    {
        using var data = new TempDataset().WithClasses(1, 2, 8, 8);
        data.AddImage("class1", "inner/x.png", 8, 8);
        string locked = Path.Combine(data.Root, "class1", "inner");

        ChildRun run = await RunWithModeAsync(locked, UnixFileMode.None, "digest", "--data", data.Root, "--size", "8x8");

        run.AssertOneLineError($"holds no image files that can be listed: '{locked}' cannot be listed: permission denied.", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Digest_OneSubFolderMode000_RunsTheRestAndReportsIt()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        data.AddImage("class1", "inner/x.png", 8, 8);
        string locked = Path.Combine(data.Root, "class1", "inner");

        ChildRun run = await RunWithModeAsync(locked, UnixFileMode.None, "digest", "--data", data.Root, "--size", "8x8", "--json");

        Assert.AreEqual(ExitCodes.Success, run.ExitCode, run.Error);
        Assert.Contains("\"images\": 4", run.Output);
        Assert.Contains(locked, run.Output);
        Assert.Contains("cannot be listed: permission denied", run.Output);
    }

    /// <summary>Sets <paramref name="mode"/> on <paramref name="path"/>, runs the app as a non-root user, and restores the mode.</summary>
    private static async Task<ChildRun> RunWithModeAsync(string path, UnixFileMode mode, params string[] args)
    {
        UnixFileMode before = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, mode);
        try
        {
            return await RunAsNonRootAsync(args);
        }
        finally
        {
            File.SetUnixFileMode(path, before);
        }
    }

    private static async Task<ChildRun> RunAsNonRootAsync(string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "/usr/share/dotnet/dotnet";
        string app = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Environment.IsPrivilegedProcess)
        {
            // Root reads every folder whatever its mode: the app runs as nobody, as a user would.
            string setpriv = new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists)
                ?? throw new AssertFailedException("setpriv is not installed: install util-linux (./build.sh test does so when run as root).");
            start.FileName = setpriv;
            foreach (string a in new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", dotnet })
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = dotnet;
        }

        start.ArgumentList.Add(app);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process child = Process.Start(start)!;
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> error = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new ChildRun(child.ExitCode, await output, await error);
    }

    private sealed record ChildRun(int ExitCode, string Output, string Error)
    {
        public void AssertOneLineError(string expected, int exitCode) => new SampleRun(ExitCode, Output, Error).AssertOneLineError(expected, exitCode);
    }
}
