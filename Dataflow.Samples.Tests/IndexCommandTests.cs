using System.Diagnostics;
using System.Text.Json;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class IndexCommandTests
{
    [TestMethod]
    public async Task Index_Json_OneDocumentWithTheIndexFileAndItsCounts()
    {
        using var data = new TempDataset().WithClasses(3, 4, 20, 20);

        SampleRun run = await SampleRun.RunAsync("index", "--data", data.Root, "--json");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        JsonElement root = document.RootElement;
        string file = Path.Combine(data.Root, FolderIndex.FileName);
        Assert.AreEqual(file, root.GetProperty("index").GetString());
        Assert.AreEqual(12, root.GetProperty("files").GetInt32());
        Assert.AreEqual(3, root.GetProperty("classes").GetInt32());
        long bytes = Directory.GetFiles(data.Root, "*.png", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.AreEqual(bytes, root.GetProperty("bytes").GetInt64());
        Assert.IsTrue(File.Exists(file));
    }

    [TestMethod]
    public async Task Index_YoloFolder_RefusedInOneLineNamingTheFormsIndexed()
    {
        using var data = new TempDataset();
        data.WriteBytes("data.yaml", "path: .\ntrain: images/train\nval: images/train\nnames:\n  0: cat\n"u8.ToArray());
        data.WriteImage("images/train/a.png", 8, 8, 1);
        data.WriteBytes("labels/train/a.txt", "0 0.5 0.5 0.5 0.5\n"u8.ToArray());

        SampleRun run = await SampleRun.RunAsync("index", "--data", data.Root);

        run.AssertOneLineError($"--data: the YOLO dataset at {data.Root} has no index: index writes the index of class folders or of a folder of tar shards only", ExitCodes.UsageError);
        Assert.IsFalse(File.Exists(Path.Combine(data.Root, FolderIndex.FileName)), "nothing written");
    }

    [TestMethod]
    public async Task Index_MultiLabelCsvFile_RefusedInOneLineNamingTheForm()
    {
        using var data = new TempDataset();
        data.WriteImage("img/a.png", 8, 8, 1);
        string csv = data.WriteBytes("labels.csv", "path,labels\nimg/a.png,cat\n"u8.ToArray());

        SampleRun run = await SampleRun.RunAsync("index", "--data", csv);

        run.AssertOneLineError($"has no index: index writes the index of class folders or of a folder of tar shards only", ExitCodes.UsageError);
        Assert.Contains(csv, run.Error);
    }

    [TestMethod]
    public async Task Index_OutInAFolderThatDoesNotExist_OneLineNamingTheOptionAndTheFolder()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        string folder = Path.Combine(data.Root, "missing");

        SampleRun run = await SampleRun.RunAsync("index", "--data", data.Root, "--out", Path.Combine(folder, "index.json"));

        run.AssertOneLineError($"--out: the folder '{folder}' does not exist.", ExitCodes.UsageError);
        Assert.DoesNotContain(".tmp", run.Error);
    }

    [TestMethod]
    public async Task Index_OutIsAFolder_OneLineNamingTheOption()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        string folder = Path.Combine(data.Root, "class0");

        SampleRun run = await SampleRun.RunAsync("index", "--data", data.Root, "--out", folder);

        run.AssertOneLineError($"--out: '{folder}' is a folder, not a file.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Index_OutCannotBeWritten_OneLineNamingTheFileGivenNotItsTemporary()
    {
        // The index is written beside the file first; a folder in that place makes the write fail.
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);
        using var elsewhere = new TempDataset();
        string file = Path.Combine(elsewhere.Root, "index.json");
        Directory.CreateDirectory(file + ".tmp");

        SampleRun run = await SampleRun.RunAsync("index", "--data", data.Root, "--out", file);

        run.AssertOneLineError($"--out: cannot write '{file}': ", ExitCodes.UsageError);
        Assert.DoesNotContain(".tmp", run.Error);
        Assert.IsFalse(File.Exists(file));
    }

    [TestMethod]
    public async Task Index_ShardsWrittenByGnuTar_WritesTheShardIndexThatRunsUse()
    {
        using var layout = new TempDataset();
        for (int i = 0; i < 6; i++)
        {
            OpenCvSharp.Cv2.ImEncode(".png", TempDataset.Pattern(12, 9, i), out byte[] png);
            layout.WriteBytes($"s{i}.png", png);
            layout.WriteBytes($"s{i}.cls", System.Text.Encoding.ASCII.GetBytes($"{i % 2}"));
        }

        using var shards = new TempDataset();
        Tar("-cf", Path.Combine(shards.Root, "a.tar"), "-C", layout.Root, "s0.png", "s0.cls", "s1.png", "s1.cls", "s2.png", "s2.cls", "s3.png", "s3.cls");
        Tar("-czf", Path.Combine(shards.Root, "b.tar.gz"), "-C", layout.Root, "s4.png", "s4.cls", "s5.png", "s5.cls");
        File.WriteAllText(Path.Combine(shards.Root, "notes.txt"), "notes");

        SampleRun run = await SampleRun.RunAsync("index", "--data", shards.Root);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        string file = Path.Combine(shards.Root, ShardIndex.FileName);
        long bytes = new FileInfo(Path.Combine(shards.Root, "a.tar")).Length + new FileInfo(Path.Combine(shards.Root, "b.tar.gz")).Length;
        Assert.AreEqual(
            $"indexed 6 samples of 2 classes in 2 shards ({bytes} bytes) under {shards.Root} into {file}{Environment.NewLine}"
            + $"  not indexed: {Path.Combine(shards.Root, "notes.txt")}: not a shard (*.tar, *.tar.gz, *.tgz): not read{Environment.NewLine}",
            run.Output);

        // The index serves a run: the same samples, labels and places as a scan of the shards.
        using var indexed = new ShardSampleSource(new ShardSourceOptions { VerifyHashes = true });
        using var scanned = new ShardSampleSource(new ShardSourceOptions { UseIndex = false });
        SampleSet a = await indexed.DiscoverAsync([shards.Root], CancellationToken.None);
        SampleSet b = await scanned.DiscoverAsync([shards.Root], CancellationToken.None);
        Assert.HasCount(6, a.Samples);
        CollectionAssert.AreEqual(b.ClassNames.ToArray(), a.ClassNames.ToArray());
        CollectionAssert.AreEqual(b.Samples.Select(s => $"{s.Id} {s.Label} {s.State}").ToList(), a.Samples.Select(s => $"{s.Id} {s.Label} {s.State}").ToList());
    }

    private static void Tar(params string[] args)
    {
        var info = new ProcessStartInfo("tar") { RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process tar = Process.Start(info) ?? throw new InvalidOperationException("GNU tar is needed by this test: apt-get install tar");
        string error = tar.StandardError.ReadToEnd();
        tar.WaitForExit();
        Assert.AreEqual(0, tar.ExitCode, error);
    }

    [TestMethod]
    public async Task Index_OutToADeviceNodeOrThroughALink_TheNodeAndTheLinkStay()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);
        using var other = new TempDataset();
        string node = SpecialFiles.NullDevice(Path.Combine(other.Root, "null"));
        string target = other.WriteBytes("real/index.json", "old"u8.ToArray());
        string link = Path.Combine(other.Root, "index.json");
        File.CreateSymbolicLink(link, target);

        SampleRun toNode = await SampleRun.RunAsync("index", "--data", data.Root, "--out", node);
        SampleRun throughLink = await SampleRun.RunAsync("index", "--data", data.Root, "--out", link);

        Assert.AreEqual(0, toNode.ExitCode, toNode.Error);
        Assert.AreEqual(0, throughLink.ExitCode, throughLink.Error);
        Assert.AreEqual("character special file", SpecialFiles.Kind(node));
        Assert.AreEqual("symbolic link", SpecialFiles.Kind(link));
        using (FileStream stream = File.OpenRead(target))
        {
            Assert.HasCount(6, FolderIndex.Load(stream, target).Files);
        }

        Assert.IsEmpty(Directory.GetFiles(other.Root, "*.tmp", SearchOption.AllDirectories));
    }
}
