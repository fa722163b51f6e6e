using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Integration;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public async Task Run_SmallFolder_DeliversEverySample()
    {
        using var data = new TempDataset().WithClasses(3, 5);
        var (batches, pipeline) = await PipelineRunner.RunAsync(new PipelineOptions { Width = 16, Height = 12, BatchSize = 4 }, data.Root);
        Assert.AreEqual(15, batches.Sum(b => b.Labels.Length));
        Assert.IsTrue(pipeline.Report.CountsAddUp, pipeline.Report.ToString());
        Console.WriteLine(pipeline.Report);
    }
}
