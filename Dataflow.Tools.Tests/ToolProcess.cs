using System.Diagnostics;

namespace Dataflow.Tools.Tests;

/// <summary>Runs the tools app as a real process (<c>dotnet Dataflow.Tools.dll ARGS</c>), with extra environment variables.</summary>
internal static class ToolProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>The app's dll beside the tests.</summary>
    public static string ToolsDll => Path.Combine(AppContext.BaseDirectory, "Dataflow.Tools.dll");

    /// <summary>The dotnet host that runs the tests.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ToolsDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
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
            throw new AssertFailedException($"dotnet {ToolsDll} {string.Join(' ', args)} did not end within 3 minutes.");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
