using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

/// <summary>Small class-folder datasets, their shards, and runs of the real graph over any source.</summary>
internal static class ShardTestData
{
    public static PipelineOptions Options(int batchSize = 4, int epochs = 1) => new()
    {
        Width = 20,
        Height = 16,
        ReducedDecode = false,
        BatchSize = batchSize,
        Epochs = epochs,
        Seed = 11,
    };

    /// <summary>3 classes x 4 images, PNG and JPEG mixed, one name with a dot in its stem.</summary>
    public static TempDataset Folders()
    {
        var data = new TempDataset();
        int seed = 1;
        foreach (string c in new[] { "cat", "dog", "eel" })
        {
            for (int i = 0; i < 4; i++)
            {
                data.AddImage(c, i == 3 ? $"img.{i}.jpg" : $"img{i}.{(i % 2 == 0 ? "png" : "jpg")}", 30 + i, 22, seed++);
            }
        }

        return data;
    }

    /// <summary><see cref="Folders"/> packed into shards of 8 KiB (several shards), with their index.</summary>
    public static PackedShards Packed() => new();

    /// <summary>Runs the graph over <paramref name="source"/> with the roots posted; returns the batches and the pipeline.</summary>
    public static async Task<(List<SeenBatch> Batches, ImagePipeline Pipeline)> RunAsync(ISampleSource source, PipelineOptions options, params string[] roots)
    {
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).Build(b => seen.Add(SeenBatch.Copy(b)));
        foreach (string root in roots)
        {
            Assert.IsTrue(pipeline.Post(root));
        }

        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        return (seen, pipeline);
    }

    /// <summary>(class name, SHA-256 of the encoded bytes) of every sample a source discovers, read through the source.</summary>
    public static async Task<List<string>> ClassAndBytesAsync(ISampleSource source, params string[] roots)
    {
        SampleSet set = await source.DiscoverAsync(roots, CancellationToken.None);
        var pool = new Dataflow.Pipeline.Memory.BufferPool();
        var result = new List<string>();
        foreach (SampleInfo sample in set.Samples)
        {
            using Dataflow.Pipeline.Memory.PooledBuffer bytes = await source.ReadAsync(sample, pool, CancellationToken.None);
            result.Add($"{set.ClassNames[sample.Label]} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes.Span))}");
        }

        Assert.AreEqual(0, pool.Outstanding);
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>The original file a shard sample came from: the shard id's key, under the folder root, with any image extension.</summary>
    public static string OriginalOf(string id, string shardFolder, string folderRoot)
    {
        string afterShard = id[(id.IndexOf(".tar/", StringComparison.Ordinal) + 5)..];
        string key = afterShard[..afterShard.LastIndexOf('.')];
        string dir = Path.Combine(folderRoot, Path.GetDirectoryName(key)!);
        string stem = Path.GetFileName(key);
        return Directory.GetFiles(dir).Single(f => Path.GetFileNameWithoutExtension(f).Replace('.', '_') == stem);
    }
}

/// <summary>The test dataset's class folders and the same images packed into small shards; disposing deletes both.</summary>
internal sealed class PackedShards : IDisposable
{
    public PackedShards()
    {
        Folders = ShardTestData.Folders();
        Shards = new TempDataset();
        Index = ShardWriter.Pack([Folders.Root], Shards.Root, new PackOptions { TargetShardBytes = 8192 });
    }

    public TempDataset Folders { get; }

    public TempDataset Shards { get; }

    public ShardIndex Index { get; }

    public void Dispose()
    {
        Folders.Dispose();
        Shards.Dispose();
    }
}
