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
}
