using System.CommandLine;
using Dataflow.Samples.Commands;

namespace Dataflow.Tools.Tests;

[TestClass]
public sealed class ProgramTests
{
    [TestMethod]
    public async Task RunAsync_HelpOfEveryCommand_PrintsUsageAndExitsZero()
    {
        using var sink = new StringWriter();

        foreach (Command command in Program.CreateCommands(CommandEnvironment.ForWriters(sink, sink)).Where(c => !c.Hidden))
        {
            ToolRun run = await ToolRun.RunAsync(command.Name, "--help");

            Assert.AreEqual(0, run.ExitCode, command.Name + ": " + run.Error);
            Assert.Contains("Usage:", run.Output, command.Name);
            Assert.Contains($" {command.Name} [", run.Output, command.Name);
        }
    }

    [TestMethod]
    public async Task RunAsync_RootHelp_ListsTheTools()
    {
        ToolRun run = await ToolRun.RunAsync("--help");

        Assert.AreEqual(0, run.ExitCode);
        foreach (string name in new[] { "bench", "micro", "soak", "decode-quality" })
        {
            Assert.Contains("  " + name + " ", run.Output);
        }
    }

    [TestMethod]
    public async Task RunAsync_UserCommand_OneLineErrorNamingItAndTheSamplesApp()
    {
        ToolRun run = await ToolRun.RunAsync("train", "--epochs", "1");

        run.AssertOneLineError("error: 'train' is not a command of the tools (bench, micro, soak, decode-quality); the user commands (train, scan, preview ...) are the samples app's: ./build.sh train", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task RunAsync_NotANumberForEveryNumericOptionOfEveryCommand_OneLineExitTwo()
    {
        using var sink = new StringWriter();
        Type[] numeric = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(int?), typeof(long?), typeof(float?), typeof(double?)];
        int checkedOptions = 0;

        foreach (Command command in Program.CreateCommands(CommandEnvironment.ForWriters(sink, sink)))
        {
            foreach (Option option in command.Options.Where(o => numeric.Contains(o.ValueType)))
            {
                // Required options get a value (an existing folder), so that the only problem is the one tested.
                string[] required = [.. command.Options.Where(o => o.Required && o != option).SelectMany(o => new[] { o.Name, Path.GetTempPath() })];
                ToolRun run = await ToolRun.RunAsync([command.Name, .. required, option.Name, "abc"]);

                Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                string kind = type == typeof(int) || type == typeof(long) ? "an integer" : "a number";
                run.AssertOneLineError($"{option.Name} must be {kind}, was 'abc'.", ExitCodes.UsageError);
                checkedOptions++;
            }
        }

        // bench, its child, soak and decode-quality each have several: the walk reached them.
        Assert.IsGreaterThan(20, checkedOptions);
    }
}
