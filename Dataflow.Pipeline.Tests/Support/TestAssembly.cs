using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>Set-up for the whole test assembly.</summary>
[TestClass]
public static class TestAssembly
{
    /// <summary>The storage packages' schemes, as an app that references them registers them at start-up.</summary>
    [AssemblyInitialize]
    public static void RegisterStorageSchemes(TestContext context)
    {
        _ = context;
        S3Storage.Register();
        AzureBlobStorage.Register();
        ParquetDatasets.Register();
    }
}
