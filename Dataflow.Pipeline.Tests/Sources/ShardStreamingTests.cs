using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Storage;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

/// <summary>Shards read as streams (<see cref="ShardSampleSource.OpenStream"/>) against the same shards read sample by sample.</summary>
[TestClass]
public sealed class ShardStreamingTests
{
    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(5)]
    public async Task Run_Streaming_SameBatchesAsPerSampleReads_OneRequestPerShardPerEpoch(int shuffleBuffer)
    {
        using PackedShards packed = ShardTestData.Packed();
        (TempDataset shards, ShardIndex index) = (packed.Shards, packed.Index);
        PipelineOptions options = ShardTestData.Options(epochs: 3);
        using var streamed = new ShardSampleSource();
        using var perSample = new ShardSampleSource(new ShardSourceOptions { Streaming = false });
        List<SeenBatch> expected = await RunAsync(perSample, options, shards.Root, shuffleBuffer);
        List<SeenBatch> actual = await RunAsync(streamed, options, shards.Root, shuffleBuffer);
        AssertSameBatches(expected, actual);
        Assert.AreEqual(36, actual.Sum(b => b.Labels.Length));
        Assert.AreEqual(3, streamed.StreamedEpochs);
        Assert.AreEqual(0, streamed.PerSampleEpochs);
        Assert.AreEqual(3L * index.Shards.Count, streamed.ShardRequests, "each shard opened once per epoch");
        Assert.AreEqual(3, perSample.PerSampleEpochs);
        Assert.AreEqual(0, perSample.StreamedEpochs);
    }

    [TestMethod]
    public async Task Run_ShardShuffleBuffer_SamplesAndBytesHeldCountedWithinTheBounds()
    {
        using PackedShards packed = ShardTestData.Packed();
        (TempDataset shards, ShardIndex index) = (packed.Shards, packed.Index);
        long largest = index.Shards.SelectMany(s => s.Members!).Max(m => m.Length);
        const int buffer = 3;

        // The bytes bound: what the buffer's samples can need, and no more.
        long bytes = Math.Max(4096, buffer * largest);
        var options = new ShardSourceOptions { MaxSamplesHeld = buffer, Storage = new StorageOptions { MaxBytesInFlight = bytes } };
        using var source = new ShardSampleSource(options);
        List<SeenBatch> batches = await RunAsync(source, ShardTestData.Options(epochs: 2), shards.Root, buffer);
        Assert.AreEqual(24, batches.Sum(b => b.Labels.Length));
        Assert.AreEqual(2, source.StreamedEpochs);
        Assert.IsGreaterThan(0, source.PeakSamplesHeld);
        Assert.IsLessThanOrEqualTo(buffer, source.PeakSamplesHeld, "samples held");
        Assert.IsLessThanOrEqualTo(bytes, source.PeakBytesHeld, "bytes held");
    }

    [TestMethod]
    public async Task Run_OrderNeedsMoreThanTheBound_ReadSampleBySample_SameBatches()
    {
        using PackedShards packed = ShardTestData.Packed();
        TempDataset shards = packed.Shards;
        PipelineOptions options = ShardTestData.Options(epochs: 2);

        // The default planner shuffles the whole epoch: streaming it would hold more than one sample.
        using var bounded = new ShardSampleSource(new ShardSourceOptions { MaxSamplesHeld = 1 });
        using var perSample = new ShardSampleSource(new ShardSourceOptions { Streaming = false });
        AssertSameBatches(await RunAsync(perSample, options, shards.Root, 0), await RunAsync(bounded, options, shards.Root, 0));
        Assert.AreEqual(2, bounded.PerSampleEpochs);
        Assert.AreEqual(0, bounded.StreamedEpochs);
        Assert.AreEqual(0, bounded.ShardRequests);
    }

    [TestMethod]
    [DataRow(ErrorPolicy.SkipAndReport)]
    [DataRow(ErrorPolicy.FailFast)]
    public async Task Run_ShardTruncatedAfterDiscovery_SamplesPastTheCutSkippedOrFaultNamingTheShard(ErrorPolicy policy)
    {
        using PackedShards packed = ShardTestData.Packed();
        (TempDataset shards, ShardIndex index) = (packed.Shards, packed.Index);
        ShardIndexEntry victim = index.Shards[0];
        string path = Path.Combine(shards.Root, victim.Name);
        ShardMemberEntry cut = victim.Members![victim.Members.Count / 2];
        var lost = victim.Members.Where(m => m.Offset + m.Length > cut.Offset + 10).Select(m => $"{path}/{m.Key}.{m.Image}").ToList();

        using var streamed = new ShardSampleSource();
        var source = new FaultingSource(streamed, afterDiscovery: () =>
        {
            using var file = new FileStream(path, FileMode.Open);
            file.SetLength(cut.Offset + 10);
            return Task.CompletedTask;
        });
        PipelineOptions options = ShardTestData.Options() with { ErrorPolicy = policy };
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(source).UsePlanner(ShardShufflePlanner.For(options, bufferSize: 4))
            .Build(b => seen.Add(SeenBatch.Copy(b)));
        pipeline.Post(shards.Root);
        pipeline.Complete();
        string reason = $"The shard '{path}' is truncated: a sample needs ";
        if (policy == ErrorPolicy.SkipAndReport)
        {
            await pipeline.Completion;
            CollectionAssert.AreEquivalent(lost, pipeline.Report.Skipped.Select(s => s.Path).ToList());
            Assert.IsTrue(pipeline.Report.Skipped.All(s => s.Reason.Contains(reason, StringComparison.Ordinal)), string.Join("\n", pipeline.Report.Skipped));
            Assert.AreEqual(12 - lost.Count, seen.Sum(b => b.Labels.Length));
        }
        else
        {
            var e = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => pipeline.Completion);
            Assert.Contains(reason, e.Message);
        }

        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.AreEqual(1, streamed.StreamedEpochs);
    }

    [TestMethod]
    public async Task Run_ShardDeletedAfterDiscovery_ItsSamplesSkippedNamingTheFile()
    {
        using PackedShards packed = ShardTestData.Packed();
        (TempDataset shards, ShardIndex index) = (packed.Shards, packed.Index);
        ShardIndexEntry victim = index.Shards[^1];
        string path = Path.Combine(shards.Root, victim.Name);
        using var streamed = new ShardSampleSource();
        var source = new FaultingSource(streamed, afterDiscovery: () =>
        {
            File.Delete(path);
            return Task.CompletedTask;
        });
        var (batches, pipeline) = await ShardTestData.RunAsync(source, ShardTestData.Options(), shards.Root);
        Assert.AreEqual(12 - victim.Samples, batches.Sum(b => b.Labels.Length));
        CollectionAssert.AreEquivalent(victim.Members!.Select(m => $"{path}/{m.Key}.{m.Image}").ToList(), pipeline.Report.Skipped.Select(s => s.Path).ToList());
        Assert.IsTrue(pipeline.Report.Skipped.All(s => s.Reason.Contains(path, StringComparison.Ordinal)), string.Join("\n", pipeline.Report.Skipped));
        Assert.AreEqual(1, streamed.StreamedEpochs);
    }

    [TestMethod]
    public async Task OpenStream_SamplesRepeatedAndStoppedEarly_EachPositionItsOwnBytes_EveryBufferReturned()
    {
        using PackedShards packed = ShardTestData.Packed();
        using var source = new ShardSampleSource();
        var set = await source.DiscoverAsync([packed.Shards.Root], CancellationToken.None);
        var s = set.Samples;
        SampleInfo[] order = [s[7], s[0], s[7], s[11], s[0], s[3], s[5]];
        var pool = new BufferPool();
        await using (ISampleReadStream stream = source.OpenStream(order, pool)!)
        {
            foreach (SampleInfo sample in order)
            {
                using PooledBuffer streamed = await stream.ReadNextAsync(CancellationToken.None);
                using PooledBuffer single = await source.ReadAsync(sample, pool, CancellationToken.None);
                CollectionAssert.AreEqual(single.Span.ToArray(), streamed.Span.ToArray(), sample.ToString());
            }

            await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => stream.ReadNextAsync(CancellationToken.None).AsTask());
        }

        Assert.AreEqual(0, pool.Outstanding);

        // Disposed after two of seven: what was read ahead goes back to the pool.
        await using (ISampleReadStream stream = source.OpenStream(order, pool)!)
        {
            (await stream.ReadNextAsync(CancellationToken.None)).Dispose();
            (await stream.ReadNextAsync(CancellationToken.None)).Dispose();
        }

        Assert.AreEqual(0, pool.Outstanding, "buffers read ahead and not taken");
    }

    /// <summary>The same batches: pixels, labels, one-hot rows, paths and sample indices.</summary>
    [TestMethod]
    [DataRow(true, ErrorPolicy.SkipAndReport)]
    [DataRow(false, ErrorPolicy.SkipAndReport)]
    [DataRow(true, ErrorPolicy.FailFast)]
    [DataRow(false, ErrorPolicy.FailFast)]
    public async Task Run_MemberAboveMaxMemberBytes_NotReadSkippedOrFaultNamingIt(bool streaming, ErrorPolicy policy)
    {
        using var layout = new TempDataset();
        using (var noise = new OpenCvSharp.Mat(300, 300, OpenCvSharp.MatType.CV_8UC3))
        {
            OpenCvSharp.Cv2.Randu(noise, OpenCvSharp.Scalar.All(0), OpenCvSharp.Scalar.All(256));
            OpenCvSharp.Cv2.ImEncode(".png", noise, out byte[] big);
            layout.WriteBytes("b.png", big);
        }

        foreach (string key in new[] { "a", "c" })
        {
            OpenCvSharp.Cv2.ImEncode(".png", TempDataset.Pattern(12, 9, key[0]), out byte[] small);
            layout.WriteBytes($"{key}.png", small);
        }

        foreach (string key in new[] { "a", "b", "c" })
        {
            layout.WriteBytes($"{key}.cls", "0"u8.ToArray());
        }

        using var shards = new TempDataset();
        string shard = Path.Combine(shards.Root, "s.tar");
        ShardSampleSourceTests.Tar("-cf", shard, "-C", layout.Root, "a.png", "a.cls", "b.png", "b.cls", "c.png", "c.cls");
        long bigLength = new FileInfo(Path.Combine(layout.Root, "b.png")).Length;
        Assert.IsGreaterThan(200_000, bigLength);

        const long limit = 20_000;
        using var source = new ShardSampleSource(new ShardSourceOptions { Streaming = streaming, MaxMemberBytes = limit });
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(ShardTestData.Options(batchSize: 1) with { ErrorPolicy = policy })
            .UseSource(source).Build(b => seen.Add(SeenBatch.Copy(b)));
        pipeline.Post(shards.Root);
        pipeline.Complete();
        string reason = $"The shard member '{shard}/b.png' is {bigLength} bytes, above the limit of {limit} bytes (ShardSourceOptions.MaxMemberBytes): not read.";
        if (policy == ErrorPolicy.FailFast)
        {
            var e = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => pipeline.Completion);
            StringAssert.Contains(e.Message, reason);
        }
        else
        {
            await pipeline.Completion;
            Assert.AreEqual(2, seen.Sum(b => b.Labels.Length));
            Assert.AreEqual($"{shard}/b.png: {reason}", string.Join("; ", pipeline.Report.Skipped.Select(k => $"{k.Path}: {k.Reason}")));
        }

        Assert.AreEqual(streaming ? 1 : 0, source.StreamedEpochs);
        Assert.IsLessThan(limit, source.PeakBytesHeld, "the large member is never held");
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    internal static void AssertSameBatches(List<SeenBatch> expected, List<SeenBatch> actual)
    {
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Epoch, actual[i].Epoch);
            CollectionAssert.AreEqual(expected[i].Paths, actual[i].Paths, $"batch {i}");
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels);
            CollectionAssert.AreEqual(expected[i].SampleIndices, actual[i].SampleIndices);
            CollectionAssert.AreEqual(expected[i].OneHot, actual[i].OneHot);
            CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, $"bit-identical pixels, batch {i}");
        }
    }

    /// <summary>A run over <paramref name="root"/>; <paramref name="shuffleBuffer"/> 0 for the default planner, else a <see cref="ShardShufflePlanner"/> with that buffer.</summary>
    private static async Task<List<SeenBatch>> RunAsync(ShardSampleSource source, PipelineOptions options, string root, int shuffleBuffer)
    {
        var seen = new List<SeenBatch>();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options).UseSource(source);
        if (shuffleBuffer > 0)
        {
            builder.UsePlanner(ShardShufflePlanner.For(options, shuffleBuffer));
        }

        ImagePipeline pipeline = builder.Build(b => seen.Add(SeenBatch.Copy(b)));
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion;
        PipelineRunner.AssertNothingHeld(pipeline);
        Assert.IsEmpty(pipeline.Report.Skipped);
        return seen;
    }
}
