using Dataflow.Samples.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Tools.Tests;

/// <summary>Runs a tools command line in-process and keeps what it wrote.</summary>
internal sealed record ToolRun(int ExitCode, string Output, string Error) : CommandResult(ExitCode, Output, Error)
{
    public static Task<ToolRun> RunAsync(params string[] args) => RunCapturedAsync(environment => Program.RunAsync(args, environment));

    /// <summary>Runs a command line as the native AOT build of the app would (<see cref="Program.RunNativeAsync"/>).</summary>
    public static Task<ToolRun> RunNativeAsync(params string[] args) => RunCapturedAsync(environment => Program.RunNativeAsync(args, environment));

    private static async Task<ToolRun> RunCapturedAsync(Func<CommandEnvironment, Task<int>> run)
    {
        (int code, string output, string error) = await CommandResult.CaptureAsync(run);
        return new ToolRun(code, output, error);
    }
}
