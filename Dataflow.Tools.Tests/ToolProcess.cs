using Dataflow.Samples.Tests.Support;

namespace Dataflow.Tools.Tests;

/// <summary>Runs the tools app as a real process (<c>dotnet Dataflow.Tools.dll ARGS</c>), with extra environment variables.</summary>
internal static class ToolProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>The app's dll beside the tests.</summary>
    public static string ToolsDll => Path.Combine(AppContext.BaseDirectory, "Dataflow.Tools.dll");

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        (int code, string output, string error) = await ChildProcess.RunAsync(ChildProcess.DotnetHost, [ToolsDll, .. args], environment);
        return new Result(code, output, error);
    }
}
