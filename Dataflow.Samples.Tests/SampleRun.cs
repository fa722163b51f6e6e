using Dataflow.Samples;
using Dataflow.Samples.Tests.Support;

namespace Dataflow.Samples.Tests;

/// <summary>Runs a samples command line in-process and keeps what it wrote.</summary>
internal sealed record SampleRun(int ExitCode, string Output, string Error) : CommandResult(ExitCode, Output, Error)
{
    /// <summary>The cut digits shared by every test in this run (the cut is atomic, so parallel tests can share it).</summary>
    public static string SharedCacheRoot { get; } = Path.Combine(Path.GetTempPath(), "dataflow-tests", "samples-cache");

    public static async Task<SampleRun> RunAsync(params string[] args) => await RunInAsync(SharedCacheRoot, args);

    public static async Task<SampleRun> RunInAsync(string cacheRoot, params string[] args)
    {
        (int code, string output, string error) = await CaptureAsync(environment => Program.RunAsync(args, environment), cacheRoot);
        return new SampleRun(code, output, error);
    }
}
