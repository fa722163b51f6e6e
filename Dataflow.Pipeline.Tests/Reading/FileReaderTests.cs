using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Reading;

[TestClass]
public sealed class FileReaderTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(4096)]
    [DataRow(FileReader.HeadBytes)]
    [DataRow(FileReader.HeadBytes + 1)]
    [DataRow(3 * FileReader.HeadBytes + 17)]
    public void Read_ImageOfAnySize_EveryByte(int length)
    {
        using var data = new TempDataset();
        // A bitmap signature and an empty header (no size declared), then seeded bytes: they come back as written.
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        bytes.AsSpan(0, Math.Min(length, 54)).Clear();
        "BM"u8[..Math.Min(2, length)].CopyTo(bytes);
        string path = data.WriteBytes("c/x.bmp", bytes);
        var pool = new BufferPool();

        using (PooledBuffer buffer = new FileReader().Read(path, pool))
        {
            CollectionAssert.AreEqual(bytes, buffer.Span.ToArray());
        }

        Assert.AreEqual(0L, pool.Outstanding);
    }

    [TestMethod]
    public void Read_AtAndAboveMaxFileBytes_ReadThenRefused()
    {
        using var data = new TempDataset();
        string at = data.WriteBytes("c/at.bin", new byte[1000]);
        string above = data.WriteBytes("c/above.bin", new byte[1001]);
        var reader = new FileReader(maxFileBytes: 1000);
        var pool = new BufferPool();

        using (PooledBuffer buffer = reader.Read(at, pool))
        {
            Assert.AreEqual(1000, buffer.Length);
        }

        var e = Assert.ThrowsExactly<IOException>(() => reader.Read(above, pool));
        Assert.AreEqual($"The file '{above}' is 1001 bytes, above the limit of 1000 bytes (MaxFileBytes): not read.", e.Message);
        Assert.AreEqual(0L, pool.Outstanding);
        Assert.AreEqual(1000L, pool.LargestRental, "nothing rented for the refused file");
    }

    [TestMethod]
    public void Read_NoiseLargerThanTheHead_RefusedAfterTheHead_SmallerReadWholeForTheDecoder()
    {
        using var data = new TempDataset();
        var noise = new byte[FileReader.HeadBytes + 1];
        new Random(3).NextBytes(noise);
        noise[0] = 0x42;
        string large = data.WriteBytes("c/large.jpg", noise);
        string small = data.WriteBytes("c/small.jpg", noise[..FileReader.HeadBytes]);
        var pool = new BufferPool();

        var e = Assert.ThrowsExactly<ImageDecodeException>(() => new FileReader().Read(large, pool));
        Assert.AreEqual("not a recognised image format (unknown signature)", e.Reason);
        Assert.AreEqual(large, e.Id);
        using (PooledBuffer buffer = new FileReader().Read(small, pool))
        {
            Assert.AreEqual(FileReader.HeadBytes, buffer.Length);
        }

        Assert.AreEqual(0L, pool.Outstanding);
    }

    [TestMethod]
    public void Read_EmptyFile_EmptyBufferWithoutOpening()
    {
        using var data = new TempDataset();
        string empty = data.WriteBytes("c/empty.png", []);
        var pool = new BufferPool();
        using PooledBuffer buffer = new FileReader().Read(empty, pool);
        Assert.AreEqual(0, buffer.Length);
        Assert.IsTrue(FileReader.ReportsNoData(empty));
    }
}
