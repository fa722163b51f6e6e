using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>The local store's ranged stream, which a shard's members are read from.</summary>
[TestClass]
public sealed class LocalRangeStreamTests
{
    [TestMethod]
    [DataRow(0, 1000)]
    [DataRow(17, 500)]
    [DataRow(900, 100)]
    [DataRow(900, 5000)]
    public async Task OpenRange_ReadToTheEnd_ExactlyTheRangeClippedToTheFile(int offset, int length)
    {
        using var data = new TempDataset();
        byte[] bytes = new byte[1000];
        new Random(offset).NextBytes(bytes);
        data.WriteBytes("shard.tar", bytes);
        using var store = new LocalObjectStore(data.Root);

        await using Stream stream = await store.OpenReadAsync("shard.tar", offset, length, CancellationToken.None);
        var got = new MemoryStream();
        var chunk = new byte[64];
        while (true)
        {
            ValueTask<int> pending = stream.ReadAsync(chunk.AsMemory(), CancellationToken.None);
            Assert.IsTrue(pending.IsCompleted, "a local read completes on the caller's thread");
            int read = await pending;
            if (read == 0)
            {
                break;
            }

            got.Write(chunk, 0, read);
        }

        CollectionAssert.AreEqual(bytes.Skip(offset).Take(length).ToArray(), got.ToArray());
    }

    [TestMethod]
    public async Task OpenRange_MissingFile_FileNotFoundNamingIt()
    {
        using var data = new TempDataset();
        using var store = new LocalObjectStore(data.Root);

        var e = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => store.OpenReadAsync("gone.tar", 0, 10, CancellationToken.None));

        Assert.Contains(Path.Combine(data.Root, "gone.tar"), e.Message);
    }

    [TestMethod]
    public async Task ReadAsync_Cancelled_CanceledWithoutReading()
    {
        using var data = new TempDataset();
        data.WriteBytes("shard.tar", new byte[10]);
        using var store = new LocalObjectStore(data.Root);
        await using Stream stream = await store.OpenReadAsync("shard.tar", 0, 10, CancellationToken.None);

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await stream.ReadExactlyAsync(new byte[4], new CancellationToken(canceled: true)));
    }
}
