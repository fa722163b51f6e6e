using System.Security.Cryptography;
using System.Text;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Planning;

/// <summary>
/// Shard runs in the shard-buffer order at world size 1, from their start, pinned by digest: the batches (pixels, labels,
/// the members' names, positions) that the order gave before it was composed with the partition, bit for bit.
/// </summary>
[TestClass]
public sealed class ShardOrderDigestTests
{
    /// <summary>The digest of every batch of a run over the packed test shards: epoch, index, pixels, labels, shard file and member of each row.</summary>
    internal static async Task<string> DigestAsync(string shards, PipelineOptions options, int bufferSize)
    {
        using var source = new ShardSampleSource();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).UsePlanner(ShardShufflePlanner.For(options, bufferSize))
            .Build(b =>
            {
                hash.AppendData(BitConverter.GetBytes(b.Epoch));
                hash.AppendData(BitConverter.GetBytes(b.Index));
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.Data));
                foreach (int label in b.Labels)
                {
                    hash.AppendData(BitConverter.GetBytes(label));
                }

                foreach (string path in b.Paths)
                {
                    hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(shards, path) + "\n"));
                }
            });
        pipeline.Post(shards);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.AreEqual(1, source.StreamedEpochs > 0 ? 1 : 0, "the epochs were streamed");
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    [TestMethod]
    public async Task Run_ShardBufferOrderWorldSizeOne_BatchesAsBeforeThePartition()
    {
        using PackedShards packed = ShardTestData.Packed();
        var digests = new List<string>();
        foreach ((int batch, bool dropLast, int buffer) in new[] { (4, false, 5), (5, true, 3), (5, false, 1), (3, false, 100) })
        {
            PipelineOptions options = ShardTestData.Options(batch, epochs: 2) with { DropLast = dropLast, Augmentations = [new Dataflow.Pipeline.Augmentation.RandomHorizontalFlip()] };
            digests.Add(await DigestAsync(packed.Shards.Root, options, buffer));
        }

        // Recorded from the planner before the composition (main at a5b5381).
        string[] before =
        [
            "eac864494d2226d7e65dd5106392930055cacd698d091976268160edf262e71c",
            "241ad7e2b538308d79847746bc9203fd50ab52e752ebe2f80695654eed237cd3",
            "bf01367a0c76708a48debbef19793b0c9c4e05bf7389cbd69b6eb1f5eb3962ef",
            "ef0c3d6c54b054b4328ae2b9103217621dda171533631a9929c2e60412244453",
        ];
        CollectionAssert.AreEqual(before, digests);
    }
}
