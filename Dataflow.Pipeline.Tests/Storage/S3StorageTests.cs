using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class S3StorageTests : ObjectStorageTests
{
    private static Dataset? _shared;

    internal override Dataset Shared => _shared ?? throw new InvalidOperationException("not started");

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        _shared = new Dataset(S3Server.Start());
        await _shared.UploadAsync();
    }

    [ClassCleanup]
    public static void Stop() => _shared?.Dispose();

    internal override StorageServer StartServer() => S3Server.Start();

    [TestMethod]
    [DataRow(ErrorPolicy.SkipAndReport)]
    [DataRow(ErrorPolicy.FailFast)]
    public async Task Run_ServerAnswers500_RetriedThenSkippedOrFaultNamingObjectAndStatus(ErrorPolicy policy)
    {
        string prefix = $"broken-{policy}/";
        await Shared.Server.UploadFolderAsync(Shared.Folders.Root, prefix);
        string victim = prefix + "eel/img0.png";
        using var folders = new ObjectFolderSampleSource(Shared.Server.Options(retries: 2));
        var source = new FaultingSource(folders, afterDiscovery: () =>
        {
            ((S3Server)Shared.Server).BreakObject(victim);
            return Task.CompletedTask;
        });
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(ShardTestData.Options() with { ErrorPolicy = policy }).UseSource(source).Build(_ => { });
        pipeline.Post(Shared.Server.Root(prefix.TrimEnd('/')));
        pipeline.Complete();
        if (policy == ErrorPolicy.SkipAndReport)
        {
            await pipeline.Completion;
            SkippedSample skipped = pipeline.Report.Skipped.Single();
            Assert.AreEqual(Shared.Server.Root(victim), skipped.Path);
            Assert.Contains("failed with 500 InternalError after the SDK's retries", skipped.Reason);
        }
        else
        {
            Exception e = await Assert.ThrowsAsync<Exception>(() => pipeline.Completion);
            Assert.Contains($"Reading '{Shared.Server.Root(victim)}' failed with 500 InternalError", e.ToString());
        }

        PipelineRunner.AssertNothingHeld(pipeline);
    }
}
