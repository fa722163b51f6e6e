using System.Globalization;
using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class PlanCommandTests
{
    [TestMethod]
    public async Task Plan_Json_TheSameRowsAsTheTextListWithEachEpochsCounts()
    {
        using var data = new TempDataset().WithClasses(3, 5, 20, 20);
        string[] args = ["plan", "--data", data.Root, "--batch-size", "4", "--epochs", "2", "--rank", "1", "--world-size", "2"];

        SampleRun text = await SampleRun.RunAsync(args);
        SampleRun json = await SampleRun.RunAsync([.. args, "--json"]);

        Assert.AreEqual(0, text.ExitCode, text.Error);
        Assert.AreEqual(0, json.ExitCode, json.Error);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        JsonElement root = document.RootElement;
        Assert.AreEqual(1, root.GetProperty("rank").GetInt32());
        Assert.AreEqual(2, root.GetProperty("worldSize").GetInt32());
        string[] rows = [.. root.GetProperty("samples").EnumerateArray().Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{s.GetProperty("epoch").GetInt32()}\t{s.GetProperty("batch").GetInt32()}\t{s.GetProperty("path").GetString()}\t{s.GetProperty("weight").GetSingle()}"))];
        CollectionAssert.AreEqual(text.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray(), rows);
        JsonElement[] epochs = [.. root.GetProperty("epochs").EnumerateArray()];
        Assert.HasCount(2, epochs);
        Assert.AreEqual(rows.Count(r => r.StartsWith("0\t", StringComparison.Ordinal)), epochs[0].GetProperty("rows").GetInt32());
    }
}
