using System.Text;
using System.Text.Json;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class FolderIndexTests
{
    private static FolderIndex RoundTrip(FolderIndex index, out string json)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        json = Encoding.UTF8.GetString(stream.ToArray());
        stream.Position = 0;
        return FolderIndex.Load(stream, "round-trip.json");
    }

    private static FolderIndex Parse(string json) => FolderIndex.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "index.json");

    private static (string Path, int Label, long Size)[] Entries(FolderIndex index) => [.. index.Files.Select(f => (f.Path, f.Label, f.Size))];

    /// <summary>
    /// Files in sub-folders sorted among a class's own files (so a folder's files are not consecutive), names with a
    /// dot, a space, non-ASCII letters and (on Linux, where it is a name character) a backslash.
    /// </summary>
    private static TempDataset NestedTree()
    {
        var data = new TempDataset();
        data.AddImage("cat", "1.png", seed: 1);
        data.AddImage("cat/a", "2.png", seed: 2);
        data.AddImage("cat", "b é.png", seed: 3);
        data.AddImage("cat/z/deep", "3.jpg", seed: 4);
        data.AddImage("cat", "zz.png", seed: 5);
        data.AddImage("dög", "4.png", seed: 6);
        data.AddImage("dög", OperatingSystem.IsWindows() ? "5.x.png" : "5\\x.png", seed: 7);
        return data;
    }

    [TestMethod]
    public void SaveLoad_NestedFoldersAndUnusualNames_SameClassesFilesAndOrderAsTheListing()
    {
        using TempDataset data = NestedTree();
        FolderIndex created = FolderIndex.Create(data.Root);
        SampleSet listed = new FolderSampleSource().Discover([data.Root]);

        FolderIndex loaded = RoundTrip(created, out string json);

        CollectionAssert.AreEqual(listed.ClassNames.ToArray(), loaded.Classes.ToArray());
        CollectionAssert.AreEqual(
            listed.Samples.Select(s => (Path.GetRelativePath(data.Root, s.Id).Replace(Path.DirectorySeparatorChar, '/'), s.Label, new FileInfo(s.Id).Length)).ToArray(),
            Entries(loaded));
        CollectionAssert.AreEqual(Entries(created), Entries(loaded));
        Assert.AreEqual(FolderIndex.CurrentVersion, loaded.Version);

        // Version 2 groups consecutive files by folder: cat, cat/a, cat, cat/z/deep, cat, dög.
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.AreEqual(2, document.RootElement.GetProperty("version").GetInt32());
        Assert.AreEqual(7, document.RootElement.GetProperty("count").GetInt32());
        CollectionAssert.AreEqual(
            new[] { "cat", "cat/a", "cat", "cat/z/deep", "cat", "dög" },
            document.RootElement.GetProperty("folders").EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToArray());
        // Each folder's names joined with '/' (no name holds one) in one string.
        CollectionAssert.AreEqual(
            new[] { "b é.png", "4.png/" + (OperatingSystem.IsWindows() ? "5.x.png" : "5\\x.png") },
            new[] { 2, 5 }.Select(f => document.RootElement.GetProperty("folders")[f].GetProperty("files")[0].GetString()).ToArray());
    }

    [TestMethod]
    public void SaveLoad_MoreFilesThanOneNameChunk_EveryEntryBack()
    {
        // 70,000 files cross the table's 65,536-name chunk; sizes above 4 GiB switch it to 64-bit sizes.
        var files = new FolderIndexEntry[70_000];
        for (int i = 0; i < files.Length; i++)
        {
            files[i] = new FolderIndexEntry($"c{i % 3}/sub{i / 10_000}/f{i:D6}{(i % 7 == 0 ? "é" : "")}.png", i % 3, i == 65_536 ? 5L << 30 : 100 + i);
        }

        var index = new FolderIndex { Classes = ["c0", "c1", "c2"], Files = files };

        FolderIndex loaded = RoundTrip(index, out _);

        Assert.HasCount(files.Length, loaded.Files);
        CollectionAssert.AreEqual(files, loaded.Files.ToArray());
        CollectionAssert.AreEqual(new[] { "c0", "c1", "c2" }, loaded.Classes.ToArray());
    }

    [TestMethod]
    public void Load_Version1_ReadAsWritten()
    {
        const string json = """
            {"format":"dataflow-pipeline/folders","version":1,"classes":["cat","dog"],
             "files":[{"path":"cat/1.png","label":0,"size":10},{"path":"cat/a/2.png","label":0,"size":11},{"path":"dog/3.jpg","label":1,"size":12},{"path":"top.png","label":1,"size":13}]}
            """;

        FolderIndex index = Parse(json);

        Assert.AreEqual(1, index.Version);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, index.Classes.ToArray());
        CollectionAssert.AreEqual(
            new[] { ("cat/1.png", 0, 10L), ("cat/a/2.png", 0, 11L), ("dog/3.jpg", 1, 12L), ("top.png", 1, 13L) },
            Entries(index));
    }

    [TestMethod]
    public void Load_UnknownPropertiesAnywhere_PassedOver()
    {
        const string json = """
            {"note":{"a":[1,{"b":2}]},"format":"dataflow-pipeline/folders","version":2,"classes":["cat"],"extra":[[1],[2]],
             "folders":[{"sizes":[5,6],"comment":{"x":[1,2]},"files":["1.png","2.png"],"label":0,"path":"cat"}]}
            """;

        CollectionAssert.AreEqual(new[] { ("cat/1.png", 0, 5L), ("cat/2.png", 0, 6L) }, Entries(Parse(json)));
    }

    [TestMethod]
    [DataRow("""{"format":"other","version":2}""", "The file 'index.json' is not a folder index (format \"other\", expected \"dataflow-pipeline/folders\").")]
    [DataRow("""{"version":2,"classes":[]}""", "The file 'index.json' is not a folder index (format \"\", expected \"dataflow-pipeline/folders\").")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":3}""", "The folder index 'index.json' has format version 3; this library reads versions 1 to 2.")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a"],"folders":[{"path":"a","label":1,"files":["x.png"],"sizes":[1]}]}""",
        "The folder index 'index.json' is not valid: folder \"a\" has label 1; there are 1 classes.")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a"],"folders":[{"path":"a","label":0,"files":["x.png","y.png"],"sizes":[1]}]}""",
        "The folder index 'index.json' is not valid: folder \"a\" lists 2 files but 1 sizes.")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a"],"folders":[{"path":"../a","label":0,"files":["x.png"],"sizes":[1]}]}""",
        "The folder index 'index.json' is not valid: folder \"../a\" is not a plain path under the root.")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a"],"folders":[{"path":"a","label":0,"files":["b//x.png"],"sizes":[1,2]}]}""",
        "The folder index 'index.json' is not valid: folder 0 has an empty file name or one holding a separator in \"b//x.png\".")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a"],"folders":[{"path":"a","label":0,"files":["b/x.png"],"sizes":[1]}]}""",
        "The folder index 'index.json' is not valid: folder \"a\" lists 2 files but 1 sizes.")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a"],"folders":[{"path":"a","label":0,"files":["x.png"],"sizes":[-1]}]}""",
        "The folder index 'index.json' is not valid: expected a size, a whole number of bytes at byte 126, found Number.")]
    [DataRow("""{"format":"dataflow-pipeline/folders","version":1,"classes":["a"],"files":[{"path":"a/x.png","label":0}]}""",
        "The folder index 'index.json' is not valid: file 0 lacks a \"path\", \"label\" or \"size\".")]
    public void Load_InvalidIndex_RefusedNamingTheProblem(string json, string message)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse(json));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void Load_NotJson_RefusedNamingTheFile()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse("""{"format":"dataflow-pipeline/folders","version":2,"classes":["a",]}"""));
        StringAssert.StartsWith(e.Message, "The folder index 'index.json' is not valid JSON: ");
        Assert.IsInstanceOfType<JsonException>(e.InnerException);
    }

    [TestMethod]
    public void Load_TokenLongerThanTheReadBuffer_Read()
    {
        // A class name of 200,000 characters is longer than the 64 KiB the reader starts with.
        string name = new('k', 200_000);
        var index = new FolderIndex { Classes = [name], Files = [new FolderIndexEntry($"{name}/x.png", 0, 3)] };

        FolderIndex loaded = RoundTrip(index, out _);

        Assert.AreEqual(name, loaded.Classes[0]);
        Assert.AreEqual($"{name}/x.png", loaded.Files[0].Path);
    }
}
