using System.Globalization;
using System.Text;
using System.Text.Json;
using Dataflow.Pipeline.Tests.Sources.Formats;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using Dataflow.Tools.Storage;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

/// <summary>
/// The annotated forms (YOLO, Pascal VOC, multi-label CSV, segmentation pairs) through the real CLI: detection finds each,
/// <c>digest</c>, <c>scan</c> and <c>dump</c> read it with its labels, boxes and masks; <c>--form</c> and the source options;
/// the sources a command made are disposed when it ends; <c>az://</c> against Azurite.
/// </summary>
[TestClass]
public sealed class AnnotatedFormsTests
{
    private const int Width = 24, Height = 16;

    private static readonly string[] Small = ["--size", $"{Width}x{Height}", "--batch-size", "4", "--validation-split", "0"];

    [TestMethod]
    public async Task DigestScanDump_YoloFolder_TrainSplitWithItsBoxesAndLargestBoxClass()
    {
        using TempDataset data = Yolo();

        JsonElement folder = await DigestAsync(data.Root);
        JsonElement file = await DigestAsync(Path.Combine(data.Root, "data.yaml"));
        JsonElement val = await DigestAsync(data.Root, "--split", "val");
        JsonElement scan = await ScanAsync(data.Root);
        (JsonElement[] rows, _) = await DumpAsync(data.Root);

        Assert.AreEqual(3, folder.GetProperty("images").GetInt32(), "the train split");
        Assert.AreEqual(folder.GetProperty("sha256").GetString(), file.GetProperty("sha256").GetString(), "the folder and its data.yaml are one dataset");
        Assert.AreEqual(1, val.GetProperty("images").GetInt32(), "--split val");
        AssertScan(scan, ["cat", "dog", "(no object)"], [1, 1, 1]);
        var byName = rows.ToDictionary(r => Path.GetFileName(r.GetProperty("id").GetString()!));
        Assert.AreEqual("cat", byName["a.png"].GetProperty("className").GetString());
        AssertBoxes(byName["a.png"], [[3, 2, 9, 6]], [0]);
        // b.png's dog box is the larger: the image's class.
        Assert.AreEqual("dog", byName["b.png"].GetProperty("className").GetString());
        AssertBoxes(byName["b.png"], [[0, 0, 6, 4], [6, 4, 18, 12]], [0, 1]);
        Assert.AreEqual("(no object)", byName["neg.png"].GetProperty("className").GetString());
        AssertBoxes(byName["neg.png"], [], []);
    }

    [TestMethod]
    public async Task DigestScanDump_VocFolder_BoxesInPixelsAndTheLargestBoxsClass()
    {
        using TempDataset data = Voc();

        JsonElement digest = await DigestAsync(data.Root);
        JsonElement train = await DigestAsync(data.Root, "--split", "train");
        JsonElement scan = await ScanAsync(data.Root);
        (JsonElement[] rows, _) = await DumpAsync(data.Root);

        Assert.AreEqual(3, digest.GetProperty("images").GetInt32());
        Assert.AreEqual(1, train.GetProperty("images").GetInt32(), "--split train: ImageSets/Main/train.txt");
        AssertScan(scan, ["apple", "pear", "(no object)"], [1, 1, 1]);
        var byName = rows.ToDictionary(r => Path.GetFileName(r.GetProperty("id").GetString()!));
        // A 4x4 apple, then a 20x16 pear: the image is the pear's.
        Assert.AreEqual("pear", byName["a.png"].GetProperty("className").GetString());
        AssertBoxes(byName["a.png"], [[0, 0, 4, 4], [2, 0, 22, 16]], [0, 1]);
        Assert.AreEqual("apple", byName["b.png"].GetProperty("className").GetString());
        AssertBoxes(byName["b.png"], [[4, 5, 12, 11]], [0]);
        Assert.AreEqual("(no object)", byName["c.png"].GetProperty("className").GetString());
    }

    [TestMethod]
    public async Task DigestScanDump_MultiLabelCsv_EachRowsLabelSet()
    {
        using TempDataset data = MultiLabel();
        string csv = Path.Combine(data.Root, "labels.csv");

        JsonElement digest = await DigestAsync(csv);
        JsonElement scan = await ScanAsync(csv);
        (JsonElement[] rows, _) = await DumpAsync(csv);

        Assert.AreEqual(3, digest.GetProperty("images").GetInt32());
        // A row's class is its lowest label (what the split keeps in proportion); the negative has the extra class.
        AssertScan(scan, ["cat", "dog", "(no label)"], [1, 1, 1]);
        var labels = rows.ToDictionary(r => Path.GetFileName(r.GetProperty("id").GetString()!), r => r.GetProperty("labels").EnumerateArray().Select(l => l.GetInt32()).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1 }, labels["a.png"]);
        CollectionAssert.AreEqual(new[] { 1 }, labels["b.png"]);
        CollectionAssert.AreEqual(Array.Empty<int>(), labels["c.png"]);
        Assert.IsFalse(rows[0].TryGetProperty("boxes", out _), "a multi-label row has no boxes");
    }

    [TestMethod]
    public async Task DigestScanDump_SegmentationPairs_ClassesFromClassesTxtAndEachMaskAsWritten()
    {
        using TempDataset data = Segmentation();

        JsonElement digest = await DigestAsync(data.Root);
        JsonElement scan = await ScanAsync(data.Root);
        (JsonElement[] rows, string folder) = await DumpAsync(data.Root);
        JsonElement given = await ScanAsync(data.Root, "--segmentation-classes", "sky,road,car");

        Assert.AreEqual(2, digest.GetProperty("images").GetInt32());
        // A segmentation set has no per-image class: every image is class 0.
        AssertScan(scan, ["background", "cat", "dog"], [2, 0, 0]);
        AssertScan(given, ["sky", "road", "car"], [2, 0, 0]);
        Assert.HasCount(2, rows);
        foreach (JsonElement row in rows)
        {
            string id = row.GetProperty("id").GetString()!;
            string mask = Path.Combine(data.Root, "masks", Path.GetFileName(id));
            using Mat expected = Cv2.ImRead(mask, ImreadModes.Unchanged);
            using Mat dumped = Cv2.ImRead(Path.Combine(folder, row.GetProperty("mask").GetString()!), ImreadModes.Unchanged);
            Assert.AreEqual(0, Cv2.Norm(expected, dumped, NormTypes.INF), id);
        }
    }

    [TestMethod]
    public async Task Scan_YoloFolder_BoxesPerImageNegativesAndBoxesPerClass()
    {
        using TempDataset data = Yolo();

        JsonElement targets = (await ScanAsync(data.Root)).GetProperty("targets");

        JsonElement boxes = targets.GetProperty("boxes");
        // a.png one cat; b.png a cat and a dog; neg.png none.
        Assert.AreEqual(3, boxes.GetProperty("total").GetInt32());
        Assert.AreEqual(0, boxes.GetProperty("perImage").GetProperty("min").GetInt32());
        Assert.AreEqual(1.0, boxes.GetProperty("perImage").GetProperty("mean").GetDouble());
        Assert.AreEqual(2, boxes.GetProperty("perImage").GetProperty("max").GetInt32());
        Assert.AreEqual(1, boxes.GetProperty("negatives").GetInt32());
        CollectionAssert.AreEqual(new[] { "cat:2", "dog:1" },
            boxes.GetProperty("perClass").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("boxes").GetInt32()}").ToArray());
        Assert.AreEqual(0, targets.GetProperty("keypointInstances").GetInt32());
        Assert.AreEqual(0, targets.GetProperty("masks").GetProperty("labelMaps").GetInt32());
    }

    [TestMethod]
    public async Task Scan_YoloHumanOutput_BoxesLine()
    {
        using TempDataset data = Yolo();

        SampleRun run = await SampleRun.RunAsync("scan", "--data", data.Root);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        StringAssert.Contains(run.Output, "boxes: 3; per image min 0, mean 1, max 2; images without boxes (negatives): 1");
        StringAssert.Contains(run.Output, "bad annotations: 0");
    }

    [TestMethod]
    public async Task Scan_YoloLabelsWithBadLines_RefusedNamingEveryLine()
    {
        using TempDataset data = Yolo();
        data.WriteBytes("labels/train/a.txt", "7 0.25 0.25 0.25 0.25\n0 0.5 0.5 1.5 0.5\n"u8.ToArray());
        data.WriteBytes("labels/train/b.txt", "0 0.125 0.125 0.25 0.25\n1 0.5 x 0.5 0.5\n"u8.ToArray());

        SampleRun run = await SampleRun.RunAsync("scan", "--data", data.Root, "--json");

        Assert.AreEqual(ExitCodes.Failed, run.ExitCode, run.Output + run.Error);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        JsonElement json = document.RootElement;
        string[] bad = [.. json.GetProperty("badAnnotations").EnumerateArray().Select(p => p.GetString()!)];
        Assert.AreEqual(3, json.GetProperty("badAnnotationCount").GetInt32(), string.Join("\n", bad));
        Assert.HasCount(3, bad);
        Assert.IsTrue(bad.Any(p => p.Contains("a.txt", StringComparison.Ordinal) && p.Contains("line 1", StringComparison.Ordinal) && p.Contains("class '7'", StringComparison.Ordinal)), string.Join("\n", bad));
        Assert.IsTrue(bad.Any(p => p.Contains("a.txt", StringComparison.Ordinal) && p.Contains("line 2", StringComparison.Ordinal) && p.Contains("(1.5) lies outside [0, 1]", StringComparison.Ordinal)), string.Join("\n", bad));
        Assert.IsTrue(bad.Any(p => p.Contains("b.txt", StringComparison.Ordinal) && p.Contains("line 2", StringComparison.Ordinal) && p.Contains("'x' is not a number", StringComparison.Ordinal)), string.Join("\n", bad));
    }

    [TestMethod]
    public async Task Scan_VocBoxOutsideTheDecodedImage_NamedAsBadAnnotation()
    {
        using TempDataset data = Voc();
        // The XML says 240x160 (the box fits that) but the image is 24x16: only the decoded size shows the box is off it.
        data.WriteBytes("Annotations/b.xml", Encoding.UTF8.GetBytes(
            "<annotation><filename>b.png</filename><size><width>240</width><height>160</height><depth>3</depth></size>" +
            "<object><name>apple</name><difficult>0</difficult><bndbox><xmin>100</xmin><ymin>100</ymin><xmax>200</xmax><ymax>150</ymax></bndbox></object></annotation>"));

        JsonElement scan = await ScanAsync(data.Root);

        string bad = scan.GetProperty("badAnnotations").EnumerateArray().Single().GetString()!;
        StringAssert.StartsWith(bad, Path.Combine(data.Root, "JPEGImages", "b.png") + ": box 0 (");
        StringAssert.EndsWith(bad, $"lies outside the {Width}x{Height} image");
        Assert.AreEqual(3, scan.GetProperty("targets").GetProperty("boxes").GetProperty("total").GetInt32());
        Assert.AreEqual(1, scan.GetProperty("targets").GetProperty("boxes").GetProperty("negatives").GetInt32());
    }

    [TestMethod]
    public async Task Scan_MultiLabelCsv_ImagesPerLabelAndUnlabelled()
    {
        using TempDataset data = MultiLabel();

        JsonElement targets = (await ScanAsync(Path.Combine(data.Root, "labels.csv"))).GetProperty("targets");

        Assert.AreEqual(JsonValueKind.Null, targets.GetProperty("boxes").ValueKind);
        JsonElement labels = targets.GetProperty("labels");
        // a.png cat and dog, b.png dog, c.png none.
        CollectionAssert.AreEqual(new[] { "cat:1", "dog:2" },
            labels.GetProperty("perClass").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("images").GetInt32()}").ToArray());
        Assert.AreEqual(1, labels.GetProperty("unlabelled").GetInt32());
    }

    [TestMethod]
    public async Task Scan_SegmentationPairs_EveryImageHasItsLabelMap()
    {
        using TempDataset data = Segmentation();

        JsonElement targets = (await ScanAsync(data.Root)).GetProperty("targets");

        Assert.AreEqual(2, targets.GetProperty("masks").GetProperty("labelMaps").GetInt32());
        Assert.AreEqual(0, targets.GetProperty("masks").GetProperty("instances").GetInt32());
    }

    [TestMethod]
    public async Task Digest_SegmentationWithoutClasses_OneLineNamingTheOptionAndTheFile()
    {
        using TempDataset data = Segmentation();
        File.Delete(Path.Combine(data.Root, "classes.txt"));

        SampleRun run = await SampleRun.RunAsync("digest", "--data", data.Root);

        run.AssertOneLineError(
            $"--data: The segmentation dataset '{data.Root}' names no classes: give them (--segmentation-classes, indexed by mask value) or write {Path.Combine(data.Root, "classes.txt")} (one name a line, the first naming mask value 0).",
            ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Digest_YoloBesideSegmentationPairs_OneLineNamingBoth_FormChoosesOne()
    {
        using TempDataset data = Yolo();
        data.WriteImage("images/x.png", Width, Height, 9);
        WriteMask(data, "masks/x.png", 0);

        SampleRun ambiguous = await SampleRun.RunAsync("digest", "--data", data.Root);
        JsonElement yolo = await DigestAsync(data.Root, "--form", "yolo");

        ambiguous.AssertOneLineError(
            $"--data: The location '{data.Root}' holds more than one dataset form: data.yaml (YOLO); images/ and masks/ (segmentation pairs). Give the location of one of them.", ExitCodes.UsageError);
        Assert.AreEqual(3, yolo.GetProperty("images").GetInt32());
    }

    [TestMethod]
    public async Task Digest_VocDevkit_OneLineNamingItsYearFolder()
    {
        using TempDataset data = Voc();
        using var devkit = new TempDataset();
        Directory.Move(data.Root, Path.Combine(devkit.Root, "VOC2012"));
        Directory.CreateDirectory(data.Root);

        SampleRun run = await SampleRun.RunAsync("digest", "--data", devkit.Root);

        run.AssertOneLineError(
            $"--data: The location '{devkit.Root}' holds the Pascal VOC folder VOC2012, not class folders: give the location of one of them ('{Path.Combine(devkit.Root, "VOC2012")}').", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Digest_FormNotOneOfTheForms_OneLineNamingTheOptionAndTheChoices()
    {
        using TempDataset data = Yolo();

        SampleRun run = await SampleRun.RunAsync("digest", "--data", data.Root, "--form", "Yolo");

        run.AssertOneLineError(
            "--form must be one of class-folders, shards, parquet, tfrecord, coco, yolo, voc, multi-label-csv, segmentation, was 'Yolo'.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Digest_FormClassFolders_ReadsClassFoldersBesideAStrayDataYaml()
    {
        using TempDataset data = PackCommandTests.Folders();
        string folders = (await DigestAsync(data.Root)).GetProperty("sha256").GetString()!;
        data.WriteBytes("data.yaml", "names: [a]\n"u8.ToArray());

        SampleRun detected = await SampleRun.RunAsync(["digest", "--data", data.Root, .. Small]);
        JsonElement given = await DigestAsync(data.Root, "--form", "class-folders");

        // Detected, the folder is a YOLO dataset (whose data.yaml has no train split); named, it is its class folders.
        detected.AssertOneLineError($"YOLO data file '{Path.Combine(data.Root, "data.yaml")}'", ExitCodes.Failed);
        Assert.AreEqual(12, given.GetProperty("images").GetInt32());
        Assert.AreEqual(folders, given.GetProperty("sha256").GetString());
    }

    [TestMethod]
    public async Task Digest_OptionOfAnotherForm_OneLineNamingTheOptionAndTheFormFound()
    {
        using TempDataset data = Yolo();

        SampleRun column = await SampleRun.RunAsync("digest", "--data", data.Root, "--image-column", "img");
        SampleRun split = await SampleRun.RunAsync("scan", "--data", data.Root, "--split", "valid");
        SampleRun alone = await SampleRun.RunAsync("digest", "--split", "train");

        column.AssertOneLineError($"--image-column goes with parquet datasets; '{data.Root}' is yolo (the YOLO dataset at {data.Root}).", ExitCodes.UsageError);
        split.AssertOneLineError("--split must be train, val or test for a YOLO dataset, was 'valid'.", ExitCodes.UsageError);
        alone.AssertOneLineError("--split goes with --data (the embedded digits are class folders).", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task DigestAndScan_ParquetAndTFRecordOfOtherNames_ReadWithTheirColumnAndFeatureFlags()
    {
        using TempDataset data = PackCommandTests.Folders();
        using var output = new TempDataset();
        (List<(string Path, int Label)> rows, IReadOnlyList<string> classes) = FormatTestData.Rows(data.Root);
        string parquet = Path.Combine(output.Root, "parquet", "train-00000-of-00001.parquet");
        await FormatTestData.WriteParquetAsync(Path.Combine(output.Root, "parquet", "test-00000-of-00001.parquet"), rows.Take(5).ToList(), classes, rowGroupSize: 5, imageColumn: "img", labelColumn: "y");
        await FormatTestData.WriteParquetAsync(parquet, rows, classes, rowGroupSize: 5, imageColumn: "img", labelColumn: "y");
        string tfrecord = Path.Combine(output.Root, "train.tfrecord");
        FormatTestData.WriteTFRecordWithPython(tfrecord, [.. rows.Select(r => ((string?)r.Path, (int?)r.Label))], imageKey: "jpeg", labelKey: "target");

        JsonElement parquetScan = await ScanAsync(Path.Combine(output.Root, "parquet"), "--split", "test", "--image-column", "img", "--label-column", "y");
        JsonElement parquetDigest = await DigestAsync(parquet, "--image-column", "img", "--label-column", "y");
        SampleRun defaults = await SampleRun.RunAsync("scan", "--data", parquet);
        JsonElement tfrecordScan = await ScanAsync(tfrecord, "--image-feature", "jpeg", "--label-feature", "target");
        SampleRun emptyFeature = await SampleRun.RunAsync("scan", "--data", tfrecord, "--image-feature", "");

        // The split's 5 rows: 4 of label 0, 1 of label 1 (the metadata's class names are of the column "label", not "y").
        AssertScan(parquetScan, ["0", "1"], [4, 1]);
        Assert.AreEqual(12, parquetDigest.GetProperty("images").GetInt32());
        Assert.AreNotEqual(0, defaults.ExitCode, "the default columns are not in the file");
        AssertScan(tfrecordScan, ["0", "1", "2"], [4, 4, 4]);
        emptyFeature.AssertOneLineError("--image-feature must name at least one feature, none empty.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task EveryDataCommand_TFRecord_LeavesNoFileOpenWhenItEnds()
    {
        using var output = new TempDataset();
        string tfrecord = TFRecord(output);
        string scratch = Path.Combine(output.Root, "out");
        Directory.CreateDirectory(scratch);
        string[][] commands =
        [
            ["digest", .. Small],
            ["scan"],
            ["plan", .. Small],
            ["dump", "--out", Path.Combine(scratch, "dump"), .. Small],
            ["preview", "--out", Path.Combine(scratch, "preview.png"), .. Small],
            ["train", "--epochs", "1", "--size", "16", "--batch-size", "4"],
            ["augment-preview", "--out", Path.Combine(scratch, "augment"), "--size", "24", "--count", "1"],
        ];

        foreach (string[] command in commands)
        {
            SampleRun run = await SampleRun.RunAsync([command[0], "--data", tfrecord, .. command[1..]]);

            Assert.AreEqual(0, run.ExitCode, command[0] + ": " + run.Error);
            // A TFRecord source keeps its files open between its positional reads until it is disposed.
            Assert.IsEmpty(OpenFilesUnder(tfrecord), command[0]);
        }
    }

    [TestMethod]
    public async Task DisposeOwned_DatasetLocationOfTheEnvironment_DisposesEverySourceItMade()
    {
        using var output = new TempDataset();
        string tfrecord = TFRecord(output);
        using var writer = new StringWriter();
        CommandEnvironment environment = CommandEnvironment.ForWriters(writer, writer, SampleRun.SharedCacheRoot);
        DatasetLocation dataset = DatasetLocation.Resolve(tfrecord, environment);
        var pool = new Dataflow.Pipeline.Memory.BufferPool();
        Dataflow.Pipeline.Discovery.ISampleSource source = dataset.CreateSource();
        Dataflow.Pipeline.Discovery.SampleSet set = await source.DiscoverAsync([tfrecord], CancellationToken.None);
        using (Dataflow.Pipeline.Memory.PooledBuffer read = await source.ReadAsync(set.Samples[0], pool, CancellationToken.None))
        {
            Assert.IsGreaterThan(0, read.Length);
        }

        var options = new Dataflow.Pipeline.PipelineOptions { Width = 16, Height = 16, BatchSize = 4 };
        int rows = 0;
        await using (Dataflow.Pipeline.ImagePipeline pipeline = dataset.Builder(options).Build(batch => rows += batch.Count))
        {
            pipeline.Post(tfrecord);
            pipeline.Complete();
            await pipeline.Completion;
        }

        Assert.AreEqual(12, rows);
        // The pipeline is disposed, its source not: it and the source read directly each hold the file open.
        Assert.HasCount(2, OpenFilesUnder(tfrecord));

        environment.DisposeOwned();

        Assert.IsEmpty(OpenFilesUnder(tfrecord));
    }

    [TestMethod]
    public async Task Digest_ClassFoldersInAzurite_SameDigestAsOnDisk()
    {
        using TempDataset data = PackCommandTests.Folders();
        using ServerProcess server = LocalStorageServers.StartAzurite();
        string connection = LocalStorageServers.AzuriteConnectionString($"http://127.0.0.1:{server.Port}");
        await new Azure.Storage.Blobs.BlobContainerClient(connection, LocalStorageServers.Container).CreateIfNotExistsAsync();
        await LocalStorageServers.UploadAzureAsync(connection, data.Root, "forms/");

        JsonElement local = await DigestAsync(data.Root);
        Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", connection);
        JsonElement remote;
        SampleRun yolo;
        try
        {
            remote = await DigestAsync($"az://{LocalStorageServers.Container}/forms");
            yolo = await SampleRun.RunAsync("digest", "--data", $"az://{LocalStorageServers.Container}/forms/data.yaml");
        }
        finally
        {
            Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", null);
        }

        Assert.AreEqual(12, remote.GetProperty("images").GetInt32());
        Assert.AreEqual(local.GetProperty("sha256").GetString(), remote.GetProperty("sha256").GetString());
        yolo.AssertOneLineError(
            $"--data: 'az://{LocalStorageServers.Container}/forms/data.yaml' is a YOLO dataset, and YOLO datasets are read from local disk only.", ExitCodes.UsageError);
    }

    /// <summary>The 12 images of <see cref="PackCommandTests.Folders"/> as one TFRecord file in <paramref name="output"/>.</summary>
    private static string TFRecord(TempDataset output)
    {
        using TempDataset data = PackCommandTests.Folders();
        (List<(string Path, int Label)> rows, _) = FormatTestData.Rows(data.Root);
        string file = Path.Combine(output.Root, "train.tfrecord");
        FormatTestData.WriteTFRecordWithPython(file, [.. rows.Select(r => ((string?)r.Path, (int?)r.Label))]);
        return file;
    }

    private static async Task<JsonElement> DigestAsync(string data, params string[] more)
    {
        SampleRun run = await SampleRun.RunAsync(["digest", "--data", data, "--json", .. Small, .. more]);
        Assert.AreEqual(0, run.ExitCode, run.Error);
        return run.Json();
    }

    private static async Task<JsonElement> ScanAsync(string data, params string[] more)
    {
        SampleRun run = await SampleRun.RunAsync(["scan", "--data", data, "--json", .. more]);
        Assert.AreEqual(0, run.ExitCode, run.Error);
        return run.Json();
    }

    /// <summary>Dumps the first batch (of up to 8 rows) and returns its rows and its folder, each row checked to be its source's pixels.</summary>
    private static async Task<(JsonElement[] Rows, string Folder)> DumpAsync(string data, params string[] more)
    {
        string folder = SampleRun.AbsentPath("dump");
        SampleRun run = await SampleRun.RunAsync(["dump", "--data", data, "--out", folder, "--size", $"{Width}x{Height}", "--batch-size", "8", "--validation-split", "0", .. more]);
        Assert.AreEqual(0, run.ExitCode, run.Error);
        using JsonDocument listing = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, DumpCommand.ListingName)));
        JsonElement[] rows = [.. listing.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.Clone())];
        foreach (JsonElement row in rows)
        {
            string id = row.GetProperty("id").GetString()!;
            using Mat source = Cv2.ImRead(id, ImreadModes.Color);
            using Mat dumped = Cv2.ImRead(Path.Combine(folder, row.GetProperty("image").GetString()!), ImreadModes.Color);
            Assert.AreEqual(0, Cv2.Norm(source, dumped, NormTypes.INF), id);
        }

        return (rows, folder);
    }

    private static void AssertScan(JsonElement scan, IReadOnlyList<string> classes, int[] images)
    {
        CollectionAssert.AreEqual(classes.ToArray(), scan.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()).ToArray(), scan.ToString());
        CollectionAssert.AreEqual(images, scan.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("images").GetInt32()).ToArray(), scan.ToString());
        Assert.IsEmpty(scan.GetProperty("undecodable").EnumerateArray().ToArray(), scan.ToString());
    }

    private static void AssertBoxes(JsonElement row, float[][] boxes, int[] classes)
    {
        float[][] seen = [.. row.GetProperty("boxes").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
        Assert.HasCount(boxes.Length, seen, row.ToString());
        for (int i = 0; i < boxes.Length; i++)
        {
            CollectionAssert.AreEqual(boxes[i], seen[i], row.ToString());
        }

        CollectionAssert.AreEqual(classes, row.GetProperty("classes").EnumerateArray().Select(c => c.GetInt32()).ToArray(), row.ToString());
    }

    /// <summary>The files under <paramref name="folder"/> this process holds open (Linux: its <c>/proc/self/fd</c> links).</summary>
    private static string[] OpenFilesUnder(string folder)
    {
        Assert.IsTrue(Directory.Exists("/proc/self/fd"), "the open-file check reads /proc/self/fd (Linux)");
        var open = new List<string>();
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is string target && target.StartsWith(folder, StringComparison.Ordinal))
                {
                    open.Add(target);
                }
            }
            catch (IOException)
            {
                // The descriptor was closed while listed.
            }
        }

        return [.. open];
    }

    /// <summary>
    /// An Ultralytics layout: data.yaml (names cat, dog), train a.png (a cat), b.png (a small cat, a larger dog), neg.png
    /// (no label file), val c.png (a dog).
    /// </summary>
    private static TempDataset Yolo()
    {
        var data = new TempDataset();
        data.WriteBytes("data.yaml", "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n"u8.ToArray());
        data.WriteImage("images/train/a.png", Width, Height, 1);
        data.WriteImage("images/train/b.png", Width, Height, 2);
        data.WriteImage("images/train/neg.png", Width, Height, 3);
        data.WriteImage("images/val/c.png", Width, Height, 4);
        data.WriteBytes("labels/train/a.txt", "0 0.25 0.25 0.25 0.25\n"u8.ToArray());
        data.WriteBytes("labels/train/b.txt", "0 0.125 0.125 0.25 0.25\n1 0.5 0.5 0.5 0.5\n"u8.ToArray());
        data.WriteBytes("labels/val/c.txt", "1 0.5 0.5 0.5 0.5\n"u8.ToArray());
        return data;
    }

    /// <summary>A VOC year folder: a.png (a 4x4 apple, then a 20x16 pear), b.png (an apple), c.png (nothing); train.txt lists b.</summary>
    private static TempDataset Voc()
    {
        var data = new TempDataset();
        foreach ((string id, int seed) in new[] { ("a", 1), ("b", 2), ("c", 3) })
        {
            data.WriteImage($"JPEGImages/{id}.png", Width, Height, seed);
        }

        VocAnnotation(data, "a", ("apple", 1, 1, 4, 4), ("pear", 3, 1, 22, 16));
        VocAnnotation(data, "b", ("apple", 5, 6, 12, 11));
        VocAnnotation(data, "c");
        data.WriteBytes("ImageSets/Main/train.txt", "b\n"u8.ToArray());
        return data;
    }

    private static void VocAnnotation(TempDataset data, string id, params (string Name, int XMin, int YMin, int XMax, int YMax)[] objects)
    {
        var xml = new StringBuilder();
        xml.Append(CultureInfo.InvariantCulture, $"<annotation>\n<filename>{id}.png</filename>\n<size><width>{Width}</width><height>{Height}</height><depth>3</depth></size>\n");
        foreach ((string name, int x1, int y1, int x2, int y2) in objects)
        {
            xml.Append(CultureInfo.InvariantCulture, $"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>\n");
        }

        data.WriteBytes($"Annotations/{id}.xml", Encoding.UTF8.GetBytes(xml.Append("</annotation>\n").ToString()));
    }

    /// <summary>labels.csv with a header: a.png cat and dog, b.png dog, c.png no label.</summary>
    private static TempDataset MultiLabel()
    {
        var data = new TempDataset();
        data.WriteImage("img/a.png", Width, Height, 1);
        data.WriteImage("img/b.png", Width, Height, 2);
        data.WriteImage("img/c.png", Width, Height, 3);
        data.WriteBytes("labels.csv", "path,labels\nimg/a.png,dog cat\nimg/b.png,dog\nimg/c.png,\n"u8.ToArray());
        return data;
    }

    /// <summary>images/a.png and b.png, their label maps in masks/, and classes.txt (background, cat, dog).</summary>
    private static TempDataset Segmentation()
    {
        var data = new TempDataset();
        data.WriteImage("images/a.png", Width, Height, 1);
        data.WriteImage("images/b.png", Width, Height, 2);
        WriteMask(data, "masks/a.png", 1);
        WriteMask(data, "masks/b.png", 2);
        data.WriteBytes("classes.txt", "background\ncat\ndog\n"u8.ToArray());
        return data;
    }

    /// <summary>A label map whose left half is 0 and right half <paramref name="right"/>, with an ignore (255) pixel.</summary>
    private static void WriteMask(TempDataset data, string relativePath, byte right)
    {
        using var mask = new Mat(Height, Width, MatType.CV_8UC1, Scalar.All(0));
        mask[new Rect(Width / 2, 0, Width / 2, Height)].SetTo(Scalar.All(right));
        mask.Set(0, 0, (byte)255);
        Cv2.ImEncode(".png", mask, out byte[] png);
        data.WriteBytes(relativePath, png);
    }
}
