using System.Text.Json;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Sources.Formats;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using Dataflow.Tools.Storage;

namespace Dataflow.Pipeline.Tests.Support
{
    /// <summary>A batch as a test saw it (the format writers' shared comparison names it).</summary>
    internal sealed record SeenBatch(int Epoch, int Index, int[] Shape, float[] Data, int[] Labels, float[] OneHot, string[] Paths, int[] SampleIndices);
}

namespace Dataflow.Samples.Tests
{
    /// <summary>Every dataset form through the real CLI: the commands detect the form of <c>--data</c> and read it with its source.</summary>
    [TestClass]
    public sealed class DatasetFormsTests
    {
        private static readonly string[] Small = ["--size", "16", "--batch-size", "4", "--validation-split", "0"];

        private static TempDataset Folders() => PackCommandTests.Folders();

        private static async Task<JsonElement> DigestAsync(string data, params string[] more)
        {
            SampleRun run = await SampleRun.RunAsync(["digest", "--data", data, "--epochs", "2", "--json", .. Small, .. more]);
            Assert.AreEqual(0, run.ExitCode, run.Error);
            return run.Json();
        }

        private static async Task<string> PackAsync(TempDataset data, string output)
        {
            string shards = Path.Combine(output, "shards");
            SampleRun run = await SampleRun.RunAsync("pack", "--data", data.Root, "--out", shards, "--shard-bytes", "4096");
            Assert.AreEqual(0, run.ExitCode, run.Error);
            Assert.IsGreaterThan(1, Directory.GetFiles(shards, "*.tar").Length, "several shards");
            return shards;
        }

        [TestMethod]
        public async Task Digest_ShardsPackedFromFolders_SameDigestAsTheFolders()
        {
            using TempDataset data = Folders();
            using var output = new TempDataset();
            string shards = await PackAsync(data, output.Root);
            string folderDigest = (await DigestAsync(data.Root)).GetProperty("sha256").GetString()!;

            JsonElement indexed = await DigestAsync(shards);
            string pattern = Path.Combine(shards, "shard-{000000.." + (Directory.GetFiles(shards, "*.tar").Length - 1).ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + "}.tar");
            JsonElement named = await DigestAsync(pattern);
            File.Delete(Path.Combine(shards, ShardIndex.FileName));
            JsonElement scanned = await DigestAsync(shards);

            Assert.AreEqual(24, indexed.GetProperty("images").GetInt32());
            Assert.AreEqual(folderDigest, indexed.GetProperty("sha256").GetString(), "shards with their index");
            Assert.AreEqual(folderDigest, named.GetProperty("sha256").GetString(), "shards named by a brace pattern");
            Assert.AreEqual(folderDigest, scanned.GetProperty("sha256").GetString(), "shards without an index");
        }

        [TestMethod]
        public async Task Train_OneEpochOverShards_TrainsOnEveryImage()
        {
            using TempDataset data = Folders();
            using var output = new TempDataset();
            string shards = await PackAsync(data, output.Root);

            SampleRun run = await SampleRun.RunAsync("train", "--data", shards, "--epochs", "1", "--size", "16", "--batch-size", "4", "--json");

            Assert.AreEqual(0, run.ExitCode, run.Error);
            JsonElement epoch = run.Json().GetProperty("epochs")[0];
            Assert.AreEqual(12, epoch.GetProperty("trainImages").GetInt32() + epoch.GetProperty("validationImages").GetInt32(), run.Output);
            Assert.IsGreaterThan(0, epoch.GetProperty("validationImages").GetInt32(), run.Output);
            StringAssert.Contains(run.Json().GetProperty("dataset").GetString(), shards);
        }

        [TestMethod]
        public async Task DigestAndScan_ParquetFile_ReadEveryRowWithItsClass()
        {
            using TempDataset data = Folders();
            using var output = new TempDataset();
            (List<(string Path, int Label)> rows, IReadOnlyList<string> classes) = FormatTestData.Rows(data.Root);
            string file = Path.Combine(output.Root, "train-00000-of-00001.parquet");
            await FormatTestData.WriteParquetAsync(file, rows, classes, rowGroupSize: 5);

            JsonElement digest = await DigestAsync(file);
            SampleRun scan = await SampleRun.RunAsync("scan", "--data", file, "--json");
            SampleRun hf = await SampleRun.RunAsync("scan", "--data", output.Root, "--json");

            Assert.AreEqual(24, digest.GetProperty("images").GetInt32());
            Assert.AreEqual(0, scan.ExitCode, scan.Error);
            AssertScan(scan.Json(), classes, 12);
            Assert.AreEqual(0, hf.ExitCode, hf.Error);
            AssertScan(hf.Json(), classes, 12);
        }

        [TestMethod]
        public async Task DigestAndScan_TFRecordFile_ReadEveryRecordWithItsClass()
        {
            using TempDataset data = Folders();
            using var output = new TempDataset();
            (List<(string Path, int Label)> rows, IReadOnlyList<string> classes) = FormatTestData.Rows(data.Root);
            string file = Path.Combine(output.Root, "train.tfrecord");
            FormatTestData.WriteTFRecordWithPython(file, [.. rows.Select(r => ((string?)r.Path, (int?)r.Label))]);

            JsonElement digest = await DigestAsync(file);
            SampleRun scan = await SampleRun.RunAsync("scan", "--data", file, "--json");

            Assert.AreEqual(24, digest.GetProperty("images").GetInt32());
            Assert.AreEqual(0, scan.ExitCode, scan.Error);
            // TFRecord carries label indices only: the classes are named by their index.
            AssertScan(scan.Json(), null, 12);
        }

        [TestMethod]
        public async Task Digest_ClassFoldersInS3_SameDigestAsOnDisk()
        {
            using TempDataset data = Folders();
            using ServerProcess server = LocalStorageServers.StartS3rver();
            string endpoint = $"http://127.0.0.1:{server.Port}";
            using (var client = LocalStorageServers.S3Client(endpoint))
            {
                await client.PutBucketAsync(LocalStorageServers.Container);
                await LocalStorageServers.UploadS3Async(client, data.Root, "forms/");
            }

            string folderDigest = (await DigestAsync(data.Root)).GetProperty("sha256").GetString()!;
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", endpoint);
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", LocalStorageServers.S3AccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", LocalStorageServers.S3SecretKey);
            JsonElement remote;
            try
            {
                remote = await DigestAsync($"s3://{LocalStorageServers.Container}/forms");
            }
            finally
            {
                Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", null);
                Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", null);
                Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", null);
            }

            Assert.AreEqual(24, remote.GetProperty("images").GetInt32());
            Assert.AreEqual(folderDigest, remote.GetProperty("sha256").GetString());
        }

        [TestMethod]
        public async Task Digest_FolderOfNoDataset_OneLineNamingWhatItHoldsAndTheForms()
        {
            using var data = new TempDataset();
            data.WriteBytes("notes.txt", [1, 2, 3]);

            SampleRun run = await SampleRun.RunAsync("digest", "--data", data.Root);

            run.AssertOneLineError($"--data: The location '{data.Root}' holds no dataset: it holds 1 files (notes.txt) and no sub-folders. The forms accepted: a folder of class folders; tar shards", ExitCodes.UsageError);
        }

        [TestMethod]
        public async Task Digest_ShardsBesideClassFolders_OneLineNamingBothForms()
        {
            using TempDataset data = Folders();
            using var output = new TempDataset();
            string shards = await PackAsync(data, output.Root);
            File.Copy(Path.Combine(shards, "shard-000000.tar"), Path.Combine(data.Root, "stray.tar"));

            SampleRun run = await SampleRun.RunAsync("digest", "--data", data.Root);

            run.AssertOneLineError($"--data: The location '{data.Root}' holds more than one dataset form: 1 tar shards; 3 sub-folders (cat, dog, eel). Give the location of one of them.", ExitCodes.UsageError);
        }

        [TestMethod]
        public async Task Pack_Shards_OneLineSayingPackReadsClassFolders()
        {
            using TempDataset data = Folders();
            using var output = new TempDataset();
            string shards = await PackAsync(data, output.Root);

            SampleRun run = await SampleRun.RunAsync("pack", "--data", shards, "--out", Path.Combine(output.Root, "again"));

            run.AssertOneLineError($"--data: pack reads a folder of class folders or a detection dataset (COCO, YOLO, VOC) on local disk; '{shards}' is ", ExitCodes.UsageError);
        }

        private static void AssertScan(JsonElement scan, IReadOnlyList<string>? classes, int images)
        {
            Assert.AreEqual(images, scan.GetProperty("images").GetInt32(), scan.ToString());
            string[] names = [.. scan.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()!)];
            if (classes is not null)
            {
                CollectionAssert.AreEqual(classes.ToArray(), names);
            }
            else
            {
                Assert.HasCount(3, names);
            }

            Assert.AreEqual(images, scan.GetProperty("classes").EnumerateArray().Sum(c => c.GetProperty("images").GetInt32()), "every image in a class");
        }
    }
}
