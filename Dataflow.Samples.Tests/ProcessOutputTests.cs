using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Tests.Distributed;

namespace Dataflow.Samples.Tests;

/// <summary>What the app's real process writes: only its own output, never the terminal codes of .NET's console.</summary>
[TestClass]
public sealed class ProcessOutputTests
{
    [TestMethod]
    public async Task Open_JsonUnderMpirun_TheOutputIsTheDocumentAlone()
    {
        // Under mpirun a rank's standard output is a pseudo-terminal: .NET's console put it into keypad mode
        // (ESC[?1h ESC=) before the first byte of the document.
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);

        SamplesProcess.Result run = await SamplesProcess.MpirunAsync(1, "digest", "--data", data.Root, "--json");

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        Assert.StartsWith("{", run.Output, run.Output[..Math.Min(40, run.Output.Length)]);
        Assert.DoesNotContain("\u001b", run.Output);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        Assert.AreEqual("digest", document.RootElement.GetProperty("command").GetString());
    }

    [TestMethod]
    public async Task Open_HumanOutputToAPipe_NoTerminalCodes()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);

        SamplesProcess.Result run = await SamplesProcess.RunAsync(new Dictionary<string, string>(), "scan", "--data", data.Root);

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        Assert.Contains("2 classes, 6 images", run.Output);
        Assert.DoesNotContain("\u001b", run.Output + run.Error);
    }
}
