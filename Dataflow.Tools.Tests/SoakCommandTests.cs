using Dataflow.Samples.Commands;

namespace Dataflow.Tools.Tests;

[TestClass]
public sealed class SoakCommandTests
{
    [TestMethod]
    [DataRow("--batch-size", "0", "error: --batch-size must be between 1 and 65536, was 0.")]
    [DataRow("--size", "20000", "error: --size must be between 1 and 16384, was 20000.")]
    [DataRow("--epochs", "0", "error: --epochs must be between 1 and 100000, was 0.")]
    public async Task Soak_ValueTheLibraryRefuses_OneLineNamingTheFlagBeforeAnyFileIsWritten(string option, string value, string expected)
    {
        // The ranges are the library's (PipelineOptions.Validate), reported with the soak's flag names.
        ToolRun run = await ToolRun.RunAsync("soak", option, value, "--images", "4", "--classes", "2");

        run.AssertOneLineError(expected, ExitCodes.UsageError);
        Assert.DoesNotContain("generated", run.Output);
    }
}
