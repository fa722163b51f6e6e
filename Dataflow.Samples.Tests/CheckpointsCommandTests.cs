using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class CheckpointsCommandTests
{
    [TestMethod]
    public async Task Checkpoints_KerasNames_ListedByLossWithTheBestNamed()
    {
        using var dir = new TempDataset();
        foreach (string name in new[] { "weights.01-0.83.hdf5", "weights.02-0.61.hdf5", "weights.03-0.47.hdf5", "weights.04-0.52.hdf5", "weights.10-0.44.hdf5", "notes.txt", "weights.05-0.4.h5" })
        {
            dir.WriteBytes(name, [0]);
        }

        SampleRun run = await SampleRun.RunAsync("checkpoints", "--dir", dir.Root, "--json");

        JsonElement json = run.Json();
        CollectionAssert.AreEqual(new[] { "weights.10-0.44.hdf5", "weights.03-0.47.hdf5", "weights.04-0.52.hdf5", "weights.02-0.61.hdf5", "weights.01-0.83.hdf5" },
            json.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToArray());
        JsonElement best = json.GetProperty("best");
        Assert.AreEqual("weights.10-0.44.hdf5", best.GetProperty("name").GetString());
        Assert.AreEqual(10, best.GetProperty("epoch").GetInt32());
        Assert.AreEqual(0.44, best.GetProperty("loss").GetDouble());
        CollectionAssert.AreEqual(new[] { "notes.txt", "weights.05-0.4.h5" },
            json.GetProperty("ignored").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToArray());
    }

    [TestMethod]
    public async Task Checkpoints_CustomPattern_ExtractsItsLossGroup()
    {
        using var dir = new TempDataset();
        dir.WriteBytes("model_e3_loss0.2100.pt", [0]);
        dir.WriteBytes("model_e7_loss0.1234.pt", [0]);
        dir.WriteBytes("weights.01-0.01.hdf5", [0]);

        SampleRun run = await SampleRun.RunAsync("checkpoints", "--dir", dir.Root, "--pattern", @"^model_e(?<epoch>\d+)_loss(?<loss>[0-9.]+)\.pt$");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("best: model_e7_loss0.1234.pt (val_loss 0.1234, epoch 7)", run.Output);
        Assert.Contains("ignored weights.01-0.01.hdf5: does not match the pattern", run.Output);
    }

    [TestMethod]
    public async Task Checkpoints_NoMatchingName_SaysSoAndHasNoBest()
    {
        using var dir = new TempDataset();
        dir.WriteBytes("readme.md", [0]);

        JsonElement json = (await SampleRun.RunAsync("checkpoints", "--dir", dir.Root, "--json")).Json();

        Assert.AreEqual(JsonValueKind.Null, json.GetProperty("best").ValueKind);
        Assert.AreEqual(0, json.GetProperty("checkpoints").GetArrayLength());
    }

    [TestMethod]
    public async Task Checkpoints_PatternWithoutLossGroup_FailsWithOneLine()
    {
        using var dir = new TempDataset();

        SampleRun run = await SampleRun.RunAsync("checkpoints", "--dir", dir.Root, "--pattern", @"^weights\.(\d+)\.hdf5$");

        run.AssertOneLineError("--pattern must capture the loss in a group named 'loss'", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Checkpoints_MissingDir_FailsWithOneLine()
    {
        string missing = SampleRun.AbsentPath("no-checkpoints");

        SampleRun run = await SampleRun.RunAsync("checkpoints", "--dir", missing);

        run.AssertOneLineError($"--dir: the folder '{missing}' does not exist.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Checkpoints_NoDirOption_FailsWithOneLine()
    {
        SampleRun run = await SampleRun.RunAsync("checkpoints");

        run.AssertOneLineError("--dir", ExitCodes.UsageError);
    }
}
