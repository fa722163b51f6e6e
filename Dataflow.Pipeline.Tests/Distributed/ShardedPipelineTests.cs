using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Distributed;

/// <summary>Several ranks' pipelines over the same folder, in one process.</summary>
[TestClass]
public sealed class ShardedPipelineTests
{
    private static async Task<List<string>> PathsAsync(string root, PipelineOptions options)
    {
        var paths = new List<string>();
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).Build((Batch b) =>
            paths.AddRange(b.Paths.Where((_, row) => b.Weights[row] == 1f)));
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        return paths;
    }

    [TestMethod]
    public async Task ValidationSplit_AnyWorldSize_IsTheSameSplit()
    {
        using var data = new TempDataset().WithClasses(3, 8, 12, 10);
        var options = new PipelineOptions { Width = 8, Height = 8, BatchSize = 3, ValidationSplit = 0.25, Seed = 3, Rank = 0, WorldSize = 1 };
        foreach (Subset subset in Enum.GetValues<Subset>())
        {
            List<string> single = await PathsAsync(data.Root, options with { Subset = subset });
            var sharded = new List<string>();
            for (int rank = 0; rank < 4; rank++)
            {
                sharded.AddRange(await PathsAsync(data.Root, options with { Subset = subset, Rank = rank, WorldSize = 4 }));
            }

            CollectionAssert.AreEquivalent(single, sharded, $"{subset}: the ranks together must stream the single process's subset");
        }
    }
}
