using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Discovery;

[TestClass]
public sealed class FolderSampleSourceTests
{
    [TestMethod]
    public void Discover_ClassFolders_SortedByCodePointWithRecursiveFiles()
    {
        using var data = new TempDataset();
        // U+1F600 (outside the BMP) sorts after U+FB01 by code point, before it by UTF-16 code unit.
        string[] classes = ["b", "a", "\uFB01x", "\U0001F600"];
        foreach (string c in classes)
        {
            data.AddImage(c, "1.png");
        }

        data.AddImage("a", Path.Combine("deep", "er", "2.PNG"));
        data.AddImage("a", "0.JpG");

        SampleSet set = new FolderSampleSource().Discover([data.Root]);

        CollectionAssert.AreEqual(new[] { "a", "b", "\uFB01x", "\U0001F600" }, set.ClassNames.ToArray());
        Assert.HasCount(6, set.Samples);
        CollectionAssert.AreEqual(
            new[] { Path.Combine(data.Root, "a", "0.JpG"), Path.Combine(data.Root, "a", "1.png"), Path.Combine(data.Root, "a", "deep", "er", "2.PNG") },
            set.Samples.Where(s => s.Label == 0).Select(s => s.Id).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, 6).ToArray(), set.Samples.Select(s => s.Index).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 1, 2, 3 }, set.Samples.Select(s => s.Label).ToArray());
    }

    [TestMethod]
    public void Discover_HiddenRootFilesAndOtherExtensions_SkippedAndReported()
    {
        using var data = new TempDataset();
        data.AddImage("cat", "1.png");
        data.AddImage("cat", ".hidden.png");
        data.AddImage(".git", "x.png");
        data.AddImage("cat", Path.Combine(".cache", "y.png"));
        string notes = data.WriteBytes(Path.Combine("cat", "notes.txt"), [1, 2, 3]);
        string loose = data.WriteBytes("loose.png", [1, 2, 3]);

        SampleSet set = new FolderSampleSource().Discover([data.Root]);

        CollectionAssert.AreEqual(new[] { "cat" }, set.ClassNames.ToArray());
        Assert.HasCount(1, set.Samples);
        Assert.AreEqual(Path.Combine(data.Root, "cat", "1.png"), set.Samples[0].Id);
        Assert.HasCount(2, set.Ignored);
        Assert.IsTrue(set.Ignored.Any(e => e.Path == notes && e.Reason.Contains("extension", StringComparison.Ordinal)));
        Assert.IsTrue(set.Ignored.Any(e => e.Path == loose && e.Reason.Contains("root", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Discover_ExplicitClassList_OrderGivesLabelsAndUnknownFoldersReported()
    {
        using var data = new TempDataset().WithClasses(3, 2);

        SampleSet set = new FolderSampleSource(["class2", "class0"]).Discover([data.Root]);

        CollectionAssert.AreEqual(new[] { "class2", "class0" }, set.ClassNames.ToArray());
        Assert.IsTrue(set.Samples.Take(2).All(s => s.Label == 0 && s.Id.Contains("class2", StringComparison.Ordinal)));
        Assert.IsTrue(set.Ignored.Any(e => e.Path == Path.Combine(data.Root, "class1") && e.Reason.Contains("requested", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Discover_ExplicitClassMissing_ThrowsNamingThePath()
    {
        using var data = new TempDataset().WithClasses(1, 1);
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new FolderSampleSource(["class0", "zebra"]).Discover([data.Root]));
        StringAssert.Contains(e.Message, Path.Combine(data.Root, "zebra"));
    }

    [TestMethod]
    public void Discover_MissingRoot_ThrowsNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-dataset-" + Guid.NewGuid().ToString("N"));
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new FolderSampleSource().Discover([missing]));
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public void Discover_RootIsAFile_ThrowsNamingThePath()
    {
        using var data = new TempDataset();
        string file = data.WriteBytes("file.png", [1]);
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new FolderSampleSource().Discover([file]));
        StringAssert.Contains(e.Message, file);
        StringAssert.Contains(e.Message, "is a file");
    }

    [TestMethod]
    public void Discover_RootWithoutClassFolders_ThrowsNamingThePath()
    {
        using var data = new TempDataset();
        data.WriteBytes("a.png", [1]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new FolderSampleSource().Discover([data.Root]));
        StringAssert.Contains(e.Message, data.Root);
        StringAssert.Contains(e.Message, "no class folders");
    }

    [TestMethod]
    public void Discover_EmptyClassFolder_ThrowsNamingThePath()
    {
        using var data = new TempDataset().WithClasses(1, 2);
        Directory.CreateDirectory(Path.Combine(data.Root, "empty"));
        data.WriteBytes(Path.Combine("empty", "readme.txt"), [1]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new FolderSampleSource().Discover([data.Root]));
        StringAssert.Contains(e.Message, Path.Combine(data.Root, "empty"));
    }

    [TestMethod]
    public void Discover_TwoRoots_ClassesMerged()
    {
        using var first = new TempDataset();
        using var second = new TempDataset();
        first.AddImage("cat", "1.png");
        second.AddImage("cat", "2.png");
        second.AddImage("dog", "3.png");

        SampleSet set = new FolderSampleSource().Discover([first.Root, second.Root]);

        CollectionAssert.AreEqual(new[] { "cat", "dog" }, set.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0, 1 }, set.Samples.Select(s => s.Label).ToArray());
    }

    [TestMethod]
    public void Constructor_InvalidClassNames_ThrowsNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new FolderSampleSource(["a", "a"]));
        Assert.AreEqual("ClassNames", e.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => new FolderSampleSource([]));
        var ext = Assert.ThrowsExactly<ArgumentException>(() => new FolderSampleSource(null, []));
        Assert.AreEqual("Extensions", ext.ParamName);
    }

    [TestMethod]
    public async Task ReadAsync_File_ReturnsExactBytesInPooledBuffer()
    {
        using var data = new TempDataset();
        byte[] bytes = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7))];
        string path = data.WriteBytes(Path.Combine("c", "x.png"), bytes);
        var pool = new Pipeline.Memory.BufferPool();

        using (var buffer = await new FolderSampleSource().ReadAsync(new SampleInfo(0, path, 0), pool, CancellationToken.None))
        {
            CollectionAssert.AreEqual(bytes, buffer.Span.ToArray());
            Assert.AreEqual(1, pool.Outstanding);
        }

        Assert.AreEqual(0, pool.Outstanding);
    }
}
