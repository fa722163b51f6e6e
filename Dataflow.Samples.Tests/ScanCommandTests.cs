using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Data;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class ScanCommandTests
{
    [TestMethod]
    public async Task Scan_TFRecordFolder_ClassesCountsAndIgnoredRecordsInJson()
    {
        using var data = new TempDataset();
        string a = data.AddImage("x", "a.png", 20, 16, seed: 1), b = data.AddImage("x", "b.png", 20, 16, seed: 2), c = data.AddImage("x", "c.png", 20, 16, seed: 3);
        string folder = Path.Combine(data.Root, "records");
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, "pets-train.tfrecord-00000-of-00001");
        // Records written by an independent writer (Python's protobuf, framing and CRC-32C of its own): labels 0, 1, 1 and one without a label.
        string spec = Path.Combine(data.Root, "spec.json");
        File.WriteAllText(spec, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["out"] = file, ["imageKey"] = "image/encoded", ["labelKey"] = "image/class/label", ["packed"] = true,
            ["records"] = new object[] { new { path = a, label = 0 }, new { path = b, label = 1 }, new { path = c, label = 1 }, new { path = a, label = (int?)null } },
        }));
        if (!File.Exists("/usr/bin/python3"))
        {
            Assert.Fail("This test needs Python 3 with protobuf at /usr/bin/python3: apt-get install python3-protobuf.");
        }

        using (var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", [Path.Combine(Repository.Root, "Dataflow.Pipeline.Tests", "Sources", "Formats", "tfrecord_write.py"), spec]) { RedirectStandardError = true })!)
        {
            string error = python.StandardError.ReadToEnd();
            python.WaitForExit();
            Assert.AreEqual(0, python.ExitCode, $"the TFRecord writer failed (apt-get install python3-protobuf?): {error}");
        }

        SampleRun run = await SampleRun.RunAsync("scan", "--data", folder, "--json");

        JsonElement json = run.Json();
        Assert.AreEqual(3, json.GetProperty("images").GetInt32());
        // Every record's image decoded: three PNGs, none undecodable.
        Assert.AreEqual(3, json.GetProperty("formats").GetProperty("png").GetInt32());
        Assert.AreEqual(0, json.GetProperty("undecodable").GetArrayLength());
        CollectionAssert.AreEqual(new[] { 1, 2 }, json.GetProperty("classes").EnumerateArray().Select(e => e.GetProperty("images").GetInt32()).ToArray());
        JsonElement ignored = json.GetProperty("ignored").EnumerateArray().Single();
        Assert.AreEqual(file + "#3", ignored.GetProperty("path").GetString());
        Assert.AreEqual("no label feature (image/class/label, label): not read", ignored.GetProperty("reason").GetString());
    }

    [TestMethod]
    public async Task Scan_FolderWithBadAndDuplicateFiles_ReportsEachInJson()
    {
        using var data = new TempDataset();
        string a1 = data.AddImage("apple", "a1.png", 30, 20, seed: 1);
        data.AddImage("apple", "a2.jpg", 40, 40, seed: 2);
        data.AddImage("apple", "a3.bmp", 64, 48, seed: 3);
        data.AddImage("pear", "p1.png", 10, 10, seed: 4);
        string copy = data.WriteBytes("pear/copy-of-a1.png", File.ReadAllBytes(a1));
        string garbage = data.WriteBytes("pear/garbage.jpg", [1, 2, 3, 4, 5]);
        string truncated = data.WriteBytes("pear/cut.png", File.ReadAllBytes(a1)[..60]);
        string loose = data.WriteBytes("notes.txt", [65]);

        SampleRun run = await SampleRun.RunAsync("scan", "--data", data.Root, "--json");

        JsonElement json = run.Json();
        Assert.AreEqual(7, json.GetProperty("images").GetInt32());
        Assert.AreEqual(new[] { "apple", "pear" }.Length, json.GetProperty("classNames").GetArrayLength());
        JsonElement[] classes = [.. json.GetProperty("classes").EnumerateArray()];
        Assert.AreEqual(3, classes[0].GetProperty("images").GetInt32());
        Assert.AreEqual(4, classes[1].GetProperty("images").GetInt32());
        Assert.AreEqual(2, classes[1].GetProperty("undecodable").GetInt32());
        long expectedBytes = Directory.EnumerateFiles(data.Root, "*", SearchOption.AllDirectories).Where(f => f != loose).Sum(f => new FileInfo(f).Length);
        Assert.AreEqual(expectedBytes, json.GetProperty("bytes").GetInt64());

        var undecodable = json.GetProperty("undecodable").EnumerateArray().ToDictionary(u => u.GetProperty("path").GetString()!, u => u.GetProperty("reason").GetString()!);
        Assert.HasCount(2, undecodable);
        Assert.Contains("unknown signature", undecodable[garbage]);
        Assert.Contains("corrupt or truncated", undecodable[truncated]);

        JsonElement[] duplicates = [.. json.GetProperty("duplicates").EnumerateArray()];
        Assert.HasCount(1, duplicates);
        CollectionAssert.AreEquivalent(new[] { a1, copy }, duplicates[0].EnumerateArray().Select(p => p.GetString()).ToArray());

        // Decodable sizes by pixel count: 10x10, 30x20 (twice), 40x40, 64x48.
        JsonElement sizes = json.GetProperty("sizes");
        Assert.AreEqual("10x10", sizes.GetProperty("min").GetString());
        Assert.AreEqual("30x20", sizes.GetProperty("median").GetString());
        Assert.AreEqual("64x48", sizes.GetProperty("max").GetString());
        JsonElement formats = json.GetProperty("formats");
        Assert.AreEqual(4, formats.GetProperty("png").GetInt32());
        Assert.AreEqual(1, formats.GetProperty("jpeg").GetInt32());
        Assert.AreEqual(1, formats.GetProperty("bmp").GetInt32());
        Assert.AreEqual(1, formats.GetProperty("unknown").GetInt32());
        Assert.AreEqual(loose, json.GetProperty("ignored")[0].GetProperty("path").GetString());
    }

    [TestMethod]
    public async Task Scan_FifoLinkToDevZeroAndFileAboveTheLimit_EachUndecodableWithItsReason()
    {
        using var data = new TempDataset().WithClasses(2, 2);
        string fifo = SpecialFiles.Fifo(Path.Combine(data.Root, "class0", "pipe.png"));
        string zero = Path.Combine(data.Root, "class1", "zero.jpg");
        File.CreateSymbolicLink(zero, "/dev/zero");
        string large = Path.Combine(data.Root, "class1", "large.png");
        using (var file = new FileStream(large, FileMode.CreateNew))
        {
            // Sparse: the size is there, the disk blocks are not.
            file.SetLength(300L << 20);
        }

        SampleRun run = await SampleRun.RunAsync("scan", "--data", data.Root, "--json");

        JsonElement json = run.Json();
        Assert.AreEqual(7, json.GetProperty("images").GetInt32());
        var undecodable = json.GetProperty("undecodable").EnumerateArray().ToDictionary(u => u.GetProperty("path").GetString()!, u => u.GetProperty("reason").GetString()!);
        Assert.HasCount(3, undecodable);
        Assert.AreEqual("the file is empty", undecodable[fifo]);
        Assert.AreEqual("the file is empty", undecodable[zero]);
        Assert.AreEqual($"cannot be read: The file '{large}' is {300L << 20} bytes, above the limit of {256 << 20} bytes (MaxFileBytes): not read.", undecodable[large]);
        Assert.AreEqual(0, json.GetProperty("duplicates").GetArrayLength());
    }

    [TestMethod]
    public async Task Scan_EmbeddedDigits_FindsTenClassesOfFiveHundred()
    {
        SampleRun run = await SampleRun.RunAsync("scan", "--json");

        JsonElement json = run.Json();
        Assert.AreEqual(EmbeddedDigits.Count, json.GetProperty("images").GetInt32());
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray(),
            json.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()).ToArray());
        Assert.IsTrue(json.GetProperty("classes").EnumerateArray().All(c => c.GetProperty("images").GetInt32() == EmbeddedDigits.PerClass));
        Assert.AreEqual(0, json.GetProperty("undecodable").GetArrayLength());
        Assert.AreEqual("20x20", json.GetProperty("sizes").GetProperty("min").GetString());
        Assert.AreEqual("20x20", json.GetProperty("sizes").GetProperty("max").GetString());
    }

    [TestMethod]
    public async Task Scan_HumanOutput_ListsUndecodableFileWithReason()
    {
        using var data = new TempDataset().WithClasses(2, 2);
        data.WriteBytes("class1/broken.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);

        SampleRun run = await SampleRun.RunAsync("scan", "--data", data.Root);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("2 classes, 5 images", run.Output);
        Assert.Contains("undecodable: 1", run.Output);
        Assert.Contains(Path.Combine("class1", "broken.png") + ": ", run.Output);
    }

    [TestMethod]
    public async Task Scan_MissingFolder_FailsWithOneLine()
    {
        string missing = SampleRun.AbsentPath("absent");

        SampleRun run = await SampleRun.RunAsync("scan", "--data", missing, "--json");

        run.AssertOneLineError($"--data: the folder '{missing}' does not exist.", ExitCodes.UsageError);
        Assert.AreEqual("", run.Output);
    }

    [TestMethod]
    public async Task Scan_RootWithoutClassFolders_FailsWithOneLineNamingIt()
    {
        using var data = new TempDataset();
        data.WriteBytes("lonely.png", [1]);

        SampleRun run = await SampleRun.RunAsync("scan", "--data", data.Root);

        run.AssertOneLineError($"--data: The location '{data.Root}' holds no dataset: it holds 1 files (lonely.png) and no sub-folders. The forms accepted: a folder of class folders;", ExitCodes.UsageError);
    }
}
