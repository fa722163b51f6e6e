using System.Runtime.InteropServices;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Reading;

/// <summary>
/// The folder source checks that a file reports data (so that a FIFO is never opened) on the sample's first read in a
/// run only: these tests pin which samples it then trusts.
/// </summary>
[TestClass]
public sealed partial class CheckedFilesTests
{
    [TestMethod]
    public void Read_RegularFile_RecordedAfterItsFirstRead_WithTheSameBytesEachTime()
    {
        using var data = new TempDataset();
        string path = data.AddImage("a", "x.png", seed: 3);
        data.AddImage("b", "y.png", seed: 4);
        var source = new FolderSampleSource();
        SampleSet set = source.Discover([data.Root]);
        SampleInfo sample = set.Samples.Single(s => s.Id == path);
        var pool = new BufferPool();

        Assert.IsFalse(source.Checked!.Contains(sample));
        byte[] first = ReadAll(source, sample, pool);
        Assert.IsTrue(source.Checked.Contains(sample));
        Assert.IsFalse(source.Checked.Contains(set.Samples.Single(s => s.Id != path)), "only the sample read is recorded");
        byte[] second = ReadAll(source, sample, pool);

        CollectionAssert.AreEqual(File.ReadAllBytes(path), first);
        CollectionAssert.AreEqual(first, second);
        Assert.AreEqual(0L, pool.Outstanding);
    }

    [TestMethod]
    public void Read_EmptyFile_NeverRecorded_StaysEmpty()
    {
        using var data = new TempDataset();
        string empty = data.WriteBytes("a/empty.png", []);
        data.AddImage("a", "x.png", seed: 3);

        AssertReadEmptyAndNeverRecorded(data.Root, empty, reads: 2);
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux)]
    public void Read_Fifo_NeverRecorded_NeverOpenedOnAnyRead()
    {
        using var data = new TempDataset();
        data.AddImage("a", "x.png", seed: 3);
        string fifo = Path.Combine(data.Root, "a", "pipe.jpg");
        Assert.AreEqual(0, MakeFifo(fifo, Convert.ToUInt32("644", 8)), "mkfifo");

        // Opening the FIFO would wait for a writer: each read must come back at once, empty.
        AssertReadEmptyAndNeverRecorded(data.Root, fifo, reads: 3);
    }

    [TestMethod]
    public void Read_AfterASecondDiscovery_SamplesOfTheFirstSetAreCheckedAgain()
    {
        using var data = new TempDataset();
        string path = data.AddImage("a", "x.png", seed: 3);
        var source = new FolderSampleSource();
        SampleSet first = source.Discover([data.Root]);
        var pool = new BufferPool();
        ReadAll(source, first.Samples[0], pool);
        Assert.IsTrue(source.Checked!.Contains(first.Samples[0]));

        SampleSet second = source.Discover([data.Root]);

        // Same position and path, another set: nothing carries over, in either direction.
        Assert.AreEqual(first.Samples[0].Id, second.Samples[0].Id);
        Assert.IsFalse(source.Checked!.Contains(first.Samples[0]));
        Assert.IsFalse(source.Checked.Contains(second.Samples[0]));
        CollectionAssert.AreEqual(File.ReadAllBytes(path), ReadAll(source, first.Samples[0], pool));
        Assert.IsFalse(source.Checked.Contains(first.Samples[0]), "a sample of an earlier set is not recorded in the new one");
    }

    [TestMethod]
    public void Contains_SampleOutsideTheSet_False()
    {
        SampleInfo[] samples = [new(0, "a", 0), new(1, "b", 0)];
        var files = new CheckedFiles(samples);
        files.Add(samples[1]);
        files.Add(new SampleInfo(0, "a", 0));
        files.Add(new SampleInfo(7, "c", 0));

        Assert.IsTrue(files.Contains(samples[1]));
        Assert.IsFalse(files.Contains(samples[0]), "an equal record at the same position is another sample");
        Assert.IsFalse(files.Contains(new SampleInfo(7, "c", 0)));
        Assert.IsFalse(files.Contains(new SampleInfo(-1, "d", 0)));
    }

    /// <summary>Discovers <paramref name="root"/>, then reads <paramref name="path"/> again and again: empty, and never recorded.</summary>
    private static void AssertReadEmptyAndNeverRecorded(string root, string path, int reads)
    {
        var source = new FolderSampleSource();
        SampleInfo sample = source.Discover([root]).Samples.Single(s => s.Id == path);
        var pool = new BufferPool();
        for (int i = 0; i < reads; i++)
        {
            Assert.IsEmpty(ReadAll(source, sample, pool));
            Assert.IsFalse(source.Checked!.Contains(sample));
        }
    }

    private static byte[] ReadAll(FolderSampleSource source, SampleInfo sample, BufferPool pool)
    {
        using PooledBuffer buffer = source.ReadAsync(sample, pool, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return buffer.Span.ToArray();
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
