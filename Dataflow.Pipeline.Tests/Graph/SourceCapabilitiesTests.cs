using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Graph;

/// <summary>
/// What a source can do is what it declares (<see cref="ISampleSource.ReadsOnCallingThread"/>,
/// <see cref="ISampleSource.CanStream"/>), not its type: a user's source gets the synchronous read block or the
/// streamed read as a built-in one does, and a declaration it does not keep is waited for rather than lost.
/// </summary>
[TestClass]
public sealed class SourceCapabilitiesTests
{
    [TestMethod]
    public void Of_BuiltInAndUserSources_TheMembersTheyDeclare()
    {
        using var shards = new ShardSampleSource();
        Assert.AreEqual(new SourceCapabilities(false, false), SourceCapabilities.Of(new MinimalSource(Images(2))), "the defaults");
        Assert.AreEqual(new SourceCapabilities(true, false), SourceCapabilities.Of(new FolderSampleSource()), "folders");
        Assert.AreEqual(new SourceCapabilities(true, false), SourceCapabilities.Of(Images(2)), "memory");
        Assert.AreEqual(new SourceCapabilities(false, true), SourceCapabilities.Of(shards), "shards");
        Assert.AreEqual(new SourceCapabilities(true, false), SourceCapabilities.Of(new DeclaringSource(Images(2), complete: true)), "a user's declaration");
    }

    [TestMethod]
    public async Task Run_UserSourceDeclaringReadsOnCallingThread_SameBatchesAsTheBuiltInOne()
    {
        List<SeenBatch> expected = await RunAsync(Images(10));
        List<SeenBatch> declared = await RunAsync(new DeclaringSource(Images(10), complete: true));

        Assert.HasCount(3, expected);
        PipelineRunner.AssertSameBatches(expected, declared, "a user's source read on the calling thread");
    }

    [TestMethod]
    public async Task Run_SourceDeclaringReadsOnCallingThreadWhoseReadsDoNotComplete_EachReadWaitedForSameBatches()
    {
        List<SeenBatch> expected = await RunAsync(Images(10));
        var late = new DeclaringSource(Images(10), complete: false);
        List<SeenBatch> waited = await RunAsync(late);

        Assert.AreEqual(10, late.Reads, "every sample read through ReadAsync");
        PipelineRunner.AssertSameBatches(expected, waited, "reads that complete later");
    }

    private static async Task<List<SeenBatch>> RunAsync(ISampleSource source)
    {
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(new PipelineOptions { Width = 12, Height = 10, BatchSize = 4, Seed = 3, ReducedDecode = false })
            .UseSource(source)
            .Build(batch => seen.Add(SeenBatch.Copy(batch)));
        pipeline.Post("memory");
        pipeline.Complete();
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        PipelineRunner.AssertNothingHeld(pipeline);
        return seen;
    }

    private static InMemorySampleSource Images(int count)
    {
        var samples = new List<(string, int, byte[])>();
        for (int i = 0; i < count; i++)
        {
            using Mat image = TempDataset.Pattern(14 + i, 11, i + 1);
            Cv2.ImEncode(".png", image, out byte[] png);
            samples.Add(($"mem://{i}", i % 2, png));
        }

        return new InMemorySampleSource(["even", "odd"], samples);
    }

    /// <summary>A source that declares nothing: the interface's defaults.</summary>
    private sealed class MinimalSource(ISampleSource inner) : ISampleSource
    {
        public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken) => inner.DiscoverAsync(roots, cancellationToken);

        public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) => inner.ReadAsync(sample, pool, cancellationToken);
    }

    /// <summary>A user's source that declares its reads complete on the calling thread; with <c>complete: false</c> they do not.</summary>
    private sealed class DeclaringSource(ISampleSource inner, bool complete) : ISampleSource
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public bool ReadsOnCallingThread => true;

        public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken) => inner.DiscoverAsync(roots, cancellationToken);

        public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            return complete ? inner.ReadAsync(sample, pool, cancellationToken) : LateAsync(sample, pool, cancellationToken);
        }

        private async ValueTask<PooledBuffer> LateAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
        {
            await Task.Delay(5, cancellationToken);
            return await inner.ReadAsync(sample, pool, cancellationToken);
        }
    }
}
