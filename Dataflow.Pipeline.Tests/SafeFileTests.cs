using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests;

[TestClass]
public sealed class SafeFileTests
{
    [TestMethod]
    public void Save_WriteFails_OldFileIntactAndNoTemporaryFileLeft()
    {
        using var folder = new TempDataset();
        string path = folder.WriteBytes("model.bin", "old"u8.ToArray());

        var e = Assert.ThrowsExactly<IOException>(() => SafeFile.Save(path, stream =>
        {
            stream.Write("half"u8);
            throw new IOException("No space left on device");
        }));

        Assert.AreEqual("No space left on device", e.Message);
        Assert.AreEqual("old", File.ReadAllText(path));
        Assert.IsFalse(File.Exists(path + ".tmp"));
    }

    [TestMethod]
    public void Save_TemporaryFileLeftByAnEarlierRun_ReplacedNotFollowed()
    {
        using var folder = new TempDataset();
        string path = Path.Combine(folder.Root, "state.json");
        string elsewhere = folder.WriteBytes("elsewhere.txt", "keep"u8.ToArray());
        File.CreateSymbolicLink(path + ".tmp", elsewhere);

        SafeFile.Save(path, stream => stream.Write("new"u8));

        Assert.AreEqual("new", File.ReadAllText(path));
        Assert.AreEqual("keep", File.ReadAllText(elsewhere));
        Assert.IsFalse(File.Exists(path + ".tmp"));
    }

    [TestMethod]
    public void Save_Fifo_WrittenThroughToItsReader()
    {
        using var folder = new TempDataset();
        string fifo = SpecialFiles.Fifo(Path.Combine(folder.Root, "pipe"));
        Task<string> reader = Task.Run(() => File.ReadAllText(fifo));

        SafeFile.Save(fifo, stream => stream.Write("through"u8));

        Assert.AreEqual("through", reader.Result);
        Assert.AreEqual("fifo", SpecialFiles.Kind(fifo));
    }
}
