using System.CommandLine;
using System.Text.RegularExpressions;
using Dataflow.Samples;
using Dataflow.Samples.Commands;
using Dataflow.Pipeline.Tests.Support;

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
    [DataRow("train", "--epochs", "abc", "--epochs must be an integer, was 'abc'.")]
    [DataRow("train", "--batch-size", "x", "--batch-size must be an integer, was 'x'.")]
    [DataRow("digest", "--epochs", "1e3", "--epochs must be an integer, was '1e3'.")]
    [DataRow("train", "--validation-split", "0,2", "--validation-split must be a number, was '0,2'.")]
    [DataRow("train", "--learning-rate", "NaN", "--learning-rate must be a number, was 'NaN'.")]
    [DataRow("train", "--seed", "99999999999999999999", "--seed must be an integer, was '99999999999999999999'.")]
    public async Task RunAsync_NotANumber_OneLineNamingOptionAndValue(string command, string option, string value, string expected)
    {
        SampleRun run = await SampleRun.RunAsync(command, option, value);

        run.AssertOneLineError(expected, ExitCodes.UsageError);
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
                SampleRun run = await SampleRun.RunAsync([command.Name, .. required, option.Name, "abc"]);

                Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                string kind = type == typeof(int) || type == typeof(long) ? "an integer" : "a number";
                run.AssertOneLineError($"{option.Name} must be {kind}, was 'abc'.", ExitCodes.UsageError);
                checkedOptions++;
            }
        }

        // train, digest, bench ... each has several: the walk reached them.
        Assert.IsGreaterThan(20, checkedOptions);
    }

    [TestMethod]
    public async Task RunAsync_OptionsWithoutCommand_GoToTrain()
    {
        SampleRun run = await SampleRun.RunAsync("--epochs", "0");

        // Only train has --epochs 0 with this message: the options reached it.
        run.AssertOneLineError("--epochs 0 only evaluates a model", ExitCodes.UsageError);
    }

    [TestMethod]
    [DataRow("train", "--epochs", "1")]
    [DataRow("digest")]
    [DataRow("augment-preview", "--image", "{image}", "--out", "{out}", "--count", "1")]
    public async Task RunAsync_DatasetWhereNothingDecodes_OneLineWithTheReasonsExitOne(string command, params string[] extra)
    {
        using var data = new TempDataset();
        foreach (string name in new[] { "a/1.png", "a/2.png", "b/1.png", "b/2.png", "b/3.png" })
        {
            data.WriteBytes(name, "junk"u8.ToArray());
        }

        using var other = new TempDataset();
        string image = other.AddImage("x", "source.png", 24, 24);
        string[] args = [command, "--data", data.Root, .. extra.Select(a => a.Replace("{image}", image, StringComparison.Ordinal).Replace("{out}", Path.Combine(other.Root, "out"), StringComparison.Ordinal))];

        SampleRun run = await SampleRun.RunAsync(args);

        run.AssertOneLineError("samples of epoch 0 could be batched. ", ExitCodes.Failed);
        Assert.MatchesRegex($@"could be batched\. 1 x decode: Cannot decode '{Regex.Escape(data.Root)}/[ab]/[123]\.png' \(4 bytes\): not a recognised image format", run.Error);
    }
}
