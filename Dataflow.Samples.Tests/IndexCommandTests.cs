using System.Text.Json;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class IndexCommandTests
{
    [TestMethod]
    public async Task Index_Json_OneDocumentWithTheIndexFileAndItsCounts()
    {
        using var data = new TempDataset().WithClasses(3, 4, 20, 20);

        SampleRun run = await SampleRun.RunAsync("index", "--data", data.Root, "--json");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        JsonElement root = document.RootElement;
        string file = Path.Combine(data.Root, FolderIndex.FileName);
        Assert.AreEqual(file, root.GetProperty("index").GetString());
        Assert.AreEqual(12, root.GetProperty("files").GetInt32());
        Assert.AreEqual(3, root.GetProperty("classes").GetInt32());
        long bytes = Directory.GetFiles(data.Root, "*.png", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.AreEqual(bytes, root.GetProperty("bytes").GetInt64());
        Assert.IsTrue(File.Exists(file));
    }
}
