using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>
/// What <see cref="IObjectStore"/> promises, run over every store the library ships: the local folder, S3 (s3rver) and
/// Azure Blob (Azurite), each holding the same objects under <c>contract/</c>.
/// </summary>
public abstract class ObjectStoreContractTests
{
    internal const string Prefix = "contract/";

    /// <summary>The objects every store holds, by key under <see cref="Prefix"/>.</summary>
    internal static readonly IReadOnlyDictionary<string, byte[]> Objects = new Dictionary<string, byte[]>(StringComparer.Ordinal)
    {
        ["a.bin"] = Bytes(1000, seed: 1),
        ["sub/b.bin"] = Bytes(10, seed: 2),
        ["empty.bin"] = [],
    };

    /// <summary>The store's root location (a folder, <c>s3://</c> or <c>az://</c>) and the options that reach it.</summary>
    internal abstract (string Root, StorageOptions? Options) Location { get; }

    /// <summary>Writes <see cref="Objects"/> under <paramref name="prefix"/> of a new folder.</summary>
    internal static TempDataset WriteObjects(string prefix = "")
    {
        var folder = new TempDataset();
        foreach ((string key, byte[] bytes) in Objects)
        {
            folder.WriteBytes(prefix + key, bytes);
        }

        return folder;
    }

    /// <summary>Creates the server's bucket or container and uploads <see cref="Objects"/> under <see cref="Prefix"/>.</summary>
    internal static async Task<T> UploadAsync<T>(T server)
        where T : StorageServer
    {
        await server.CreateContainerAsync();
        using TempDataset folder = WriteObjects();
        await server.UploadFolderAsync(folder.Root, Prefix);
        return server;
    }

    [TestMethod]
    [DataRow(0L, 1000L)]
    [DataRow(17L, 500L)]
    [DataRow(900L, 100L)]
    [DataRow(900L, 5000L)]
    [DataRow(5L, 0L)]
    [DataRow(1000L, 10L)]
    [DataRow(2000L, 10L)]
    public async Task OpenReadAsync_Range_ExactlyTheRangeClippedToTheObject(long offset, long length)
    {
        StorageLocation location = Open();
        using IObjectStore store = location.Store;

        byte[] read = await ReadAllAsync(location, "a.bin", offset, length);

        CollectionAssert.AreEqual(Objects["a.bin"].Skip((int)offset).Take((int)length).ToArray(), read);
    }

    [TestMethod]
    [DataRow("a.bin", 0L)]
    [DataRow("a.bin", 17L)]
    [DataRow("a.bin", 1000L)]
    [DataRow("a.bin", 1500L)]
    [DataRow("sub/b.bin", 3L)]
    [DataRow("empty.bin", 0L)]
    public async Task OpenReadAsync_NoLength_EveryByteFromTheOffsetToTheEnd(string key, long offset)
    {
        StorageLocation location = Open();
        using IObjectStore store = location.Store;

        byte[] read = await ReadAllAsync(location, key, offset, null);

        CollectionAssert.AreEqual(Objects[key].Skip((int)offset).ToArray(), read);
    }

    [TestMethod]
    [DataRow(null)]
    [DataRow(10L)]
    public async Task OpenReadAsync_MissingObject_FileNotFoundNamingIt(long? length)
    {
        StorageLocation location = Open();
        using IObjectStore store = location.Store;
        string key = location.Prefix + "gone.bin";

        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(async () =>
        {
            using Stream stream = await location.Store.OpenReadAsync(key, 0, length, CancellationToken.None);
            await stream.CopyToAsync(Stream.Null);
        });

        Assert.Contains(location.Store.Describe(key), e.Message);
    }

    [TestMethod]
    public async Task OpenReadAsync_NegativeOffsetOrLength_ArgumentOutOfRangeNamingIt()
    {
        StorageLocation location = Open();
        using IObjectStore store = location.Store;
        string key = location.Prefix + "a.bin";

        var offset = await Assert.ThrowsExactlyAsync<ArgumentOutOfRangeException>(() => location.Store.OpenReadAsync(key, -1, null, CancellationToken.None));
        var length = await Assert.ThrowsExactlyAsync<ArgumentOutOfRangeException>(() => location.Store.OpenReadAsync(key, 0, -1, CancellationToken.None));

        Assert.AreEqual(("offset", "length"), (offset.ParamName, length.ParamName));
    }

    [TestMethod]
    public async Task ListAsync_Prefix_EveryObjectUnderItWithItsSize()
    {
        StorageLocation location = Open();
        using IObjectStore store = location.Store;

        var listed = new List<string>();
        await foreach (StoredObject stored in location.Store.ListAsync(location.Prefix, CancellationToken.None))
        {
            listed.Add($"{stored.Key[location.Prefix.Length..]} {stored.Size}");
        }

        listed.Sort(StringComparer.Ordinal);
        CollectionAssert.AreEqual(Objects.Select(o => $"{o.Key} {o.Value.Length}").Order(StringComparer.Ordinal).ToArray(), listed);
    }

    [TestMethod]
    public async Task CheckAccessAsync_StoreThere_Completes()
    {
        StorageLocation location = Open();
        using IObjectStore store = location.Store;

        await location.Store.CheckAccessAsync(CancellationToken.None);
    }

    private StorageLocation Open()
    {
        (string root, StorageOptions? options) = Location;
        return StorageLocation.Open(root.TrimEnd('/') + "/" + Prefix, options);
    }

    private static async Task<byte[]> ReadAllAsync(StorageLocation location, string key, long offset, long? length)
    {
        using Stream stream = await location.Store.OpenReadAsync(location.Prefix + key, offset, length, CancellationToken.None);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static byte[] Bytes(int count, int seed)
    {
        byte[] bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

[TestClass]
public sealed class LocalObjectStoreContractTests : ObjectStoreContractTests
{
    private static TempDataset? _folder;

    internal override (string Root, StorageOptions? Options) Location => (_folder!.Root, null);

    // The objects under contract/ of the folder, as in the buckets.
    [ClassInitialize]
    public static void Write(TestContext context) => _folder = WriteObjects(Prefix);

    [ClassCleanup]
    public static void Delete() => _folder?.Dispose();
}

[TestClass]
public sealed class S3ObjectStoreContractTests : ObjectStoreContractTests
{
    private static S3Server? _server;

    internal override (string Root, StorageOptions? Options) Location => (_server!.Root(""), _server.Options());

    [ClassInitialize]
    public static async Task StartAsync(TestContext context) => _server = await UploadAsync(S3Server.Start());

    [ClassCleanup]
    public static void Stop() => _server?.Dispose();
}

[TestClass]
public sealed class AzureBlobObjectStoreContractTests : ObjectStoreContractTests
{
    private static AzuriteServer? _server;

    internal override (string Root, StorageOptions? Options) Location => (_server!.Root(""), _server.Options());

    [ClassInitialize]
    public static async Task StartAsync(TestContext context) => _server = await UploadAsync(AzuriteServer.Start());

    [ClassCleanup]
    public static void Stop() => _server?.Dispose();
}
