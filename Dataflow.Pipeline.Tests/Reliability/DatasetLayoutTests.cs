using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// Roots and class folders that cannot make a dataset: each run faults at discovery with an exception
/// naming the path, under either error policy, having rented nothing and leaked nothing.
/// </summary>
[TestClass]
public sealed class DatasetLayoutTests
{
    [TestMethod]
    [DataRow(ErrorPolicy.SkipAndReport)]
    [DataRow(ErrorPolicy.FailFast)]
    public Task Run_EmptyClassFolder_FaultsNamingTheFolder(ErrorPolicy policy) => AssertFaultsAsync<InvalidDataException>(
        data =>
        {
            data.AddImage("a", "one.png");
            Directory.CreateDirectory(Path.Combine(data.Root, "empty"));
            return [data.Root];
        },
        data => Path.Combine(data.Root, "empty"),
        "holds no image files",
        policy);

    [TestMethod]
    public Task Run_ClassFolderWithOnlyOtherFiles_FaultsNamingTheFolder() => AssertFaultsAsync<InvalidDataException>(
        data =>
        {
            data.AddImage("a", "one.png");
            data.WriteBytes("notes/readme.txt", "not an image"u8.ToArray());
            return [data.Root];
        },
        data => Path.Combine(data.Root, "notes"),
        "holds no image files");

    [TestMethod]
    public Task Run_RootWithNoClassFolders_FaultsNamingTheRoot() => AssertFaultsAsync<InvalidDataException>(
        data =>
        {
            // Images lying directly in the root are not a dataset: they have no class.
            data.AddImage(".", "loose.png");
            return [data.Root];
        },
        data => data.Root,
        "has no class folders");

    [TestMethod]
    public Task Run_MissingRoot_FaultsNamingTheRoot() => AssertFaultsAsync<DirectoryNotFoundException>(
        data => [Path.Combine(data.Root, "no such folder")],
        data => Path.Combine(data.Root, "no such folder"),
        "does not exist");

    [TestMethod]
    public Task Run_OneOfSeveralRootsMissing_FaultsNamingThatRoot() => AssertFaultsAsync<DirectoryNotFoundException>(
        data =>
        {
            data.AddImage("a", "one.png");
            return [data.Root, Path.Combine(data.Root, "..", "missing-twin")];
        },
        data => Path.GetFullPath(Path.Combine(data.Root, "..", "missing-twin")),
        "does not exist");

    [TestMethod]
    public Task Run_RootIsAFile_FaultsNamingTheFile() => AssertFaultsAsync<DirectoryNotFoundException>(
        data => [data.AddImage("a", "one.png")],
        data => Path.Combine(data.Root, "a", "one.png"),
        "is a file, not a folder");

    [TestMethod]
    public Task Run_NoRootPosted_FaultsSayingSo() => AssertFaultsAsync<InvalidOperationException>(
        _ => [],
        _ => "No root folder was posted",
        "before it was completed");

    private static async Task AssertFaultsAsync<TException>(Func<TempDataset, string[]> arrange, Func<TempDataset, string> named, string reason,
        ErrorPolicy policy = ErrorPolicy.SkipAndReport)
        where TException : Exception
    {
        using var data = new TempDataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string[] roots = arrange(data);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(policy), roots);
            Assert.IsInstanceOfType<TException>(run.Error, $"got {run.Error}");
            Assert.Contains(named(data), run.Error.Message);
            Assert.Contains(reason, run.Error.Message);
            Assert.IsEmpty(run.Batches);
            Assert.AreEqual(0, run.Pipeline.Buffers.Rentals, "nothing is read when discovery fails");
        });
    }
}
