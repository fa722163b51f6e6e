using System.CommandLine;
using Dataflow.Samples;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class ProgramTests
{
    [TestMethod]
    public async Task RunAsync_HelpOfEveryCommand_PrintsUsageAndExitsZero()
    {
        using var sink = new StringWriter();
        IReadOnlyList<Command> commands = Program.CreateCommands(CommandEnvironment.ForWriters(sink, sink));

        foreach (Command command in commands.Where(c => !c.Hidden))
        {
            SampleRun run = await SampleRun.RunAsync(command.Name, "--help");

            Assert.AreEqual(0, run.ExitCode, command.Name + ": " + run.Error);
            Assert.Contains("Usage:", run.Output, command.Name);
            Assert.Contains($" {command.Name} [", run.Output, command.Name);
        }
    }

    [TestMethod]
    public async Task RunAsync_RootHelp_ListsTheSampleCommands()
    {
        SampleRun run = await SampleRun.RunAsync("--help");

        Assert.AreEqual(0, run.ExitCode);
        foreach (string name in new[] { "train", "scan", "preview", "digest", "catalan", "checkpoints" })
        {
            Assert.Contains("  " + name + " ", run.Output);
        }
    }

    [TestMethod]
    public async Task RunAsync_UnknownOption_FailsWithOneLineNamingIt()
    {
        SampleRun run = await SampleRun.RunAsync("scan", "--colour", "red");

        run.AssertOneLineError("--colour", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task RunAsync_OptionsWithoutCommand_GoToTrain()
    {
        SampleRun run = await SampleRun.RunAsync("--epochs", "0");

        // Only train has --epochs 0 with this message: the options reached it.
        run.AssertOneLineError("--epochs 0 only evaluates a model", ExitCodes.UsageError);
    }
}
