using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class TrainCommandTests
{
    /// <summary>
    /// Photos as a user's folder holds them: square JPEG crops (80 to 160 px) of a real photo (the docs' fruits.jpg),
    /// one class per quarter of it, 40 a class.
    /// </summary>
    private static TempDataset PhotoCrops()
    {
        var data = new TempDataset();
        using Mat photo = Cv2.ImRead(Path.Combine(Repository.Root, "docs", "images", "augmentation", "fruits.jpg"));
        var random = new Random(1);
        for (int c = 0; c < 4; c++)
        {
            int left = c % 2 * photo.Width / 2, top = c / 2 * photo.Height / 2;
            string folder = Path.Combine(data.Root, $"c{c}");
            Directory.CreateDirectory(folder);
            for (int i = 0; i < 40; i++)
            {
                int side = random.Next(80, 160);
                var crop = new Rect(left + random.Next(0, photo.Width / 2 - side), top + random.Next(0, photo.Height / 2 - side), side, side);
                using var tile = new Mat(photo, crop);
                Cv2.ImWrite(Path.Combine(folder, $"{i}.jpg"), tile);
            }
        }

        return data;
    }

    [TestMethod]
    public async Task Train_PhotoFolderWithDefaults_TakesTheFolderLearningRateAndLearns()
    {
        using TempDataset data = PhotoCrops();

        SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "5", "--json");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        JsonElement json = run.Json();
        Assert.AreEqual(TrainCommand.FolderLearningRate, json.GetProperty("learningRate").GetSingle());
        Assert.AreEqual(JsonValueKind.Null, json.GetProperty("warning").ValueKind, json.GetProperty("warning").ToString());
        Assert.IsGreaterThan(0.5, json.GetProperty("validationAccuracy").GetDouble(), "4 classes: chance is 0.25");
    }

    [TestMethod]
    public async Task Train_LearningRateThatOvershoots_WarnsWhatToSet()
    {
        using TempDataset data = PhotoCrops();

        SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "1", "--learning-rate", "0.1");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        string warning = run.Error.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("warning:", StringComparison.Ordinal));
        StringAssert.EndsWith(warning, "is not below chance (1.386, ln of 4 classes): the learning rate 0.1 overshoots on these inputs; " +
            "set a smaller one, --learning-rate 0.01, or standardize the inputs with --normalization imagenet.");
    }

    [TestMethod]
    public async Task Train_EmbeddedDigitsDefaults_ReachesNinetyFivePercentInTenEpochs()
    {
        SampleRun run = await SampleRun.RunAsync("train", "--json");

        JsonElement json = run.Json();
        JsonElement[] epochs = [.. json.GetProperty("epochs").EnumerateArray()];
        Assert.HasCount(10, epochs);
        Assert.IsTrue(json.GetProperty("embedded").GetBoolean());
        Assert.IsGreaterThanOrEqualTo(0.95, json.GetProperty("validationAccuracy").GetDouble(), run.Output);
        // Every image of the 80/20 split reached the trainer or the validation pass, every epoch.
        Assert.AreEqual(4000, epochs[0].GetProperty("trainImages").GetInt32());
        Assert.AreEqual(1000, epochs[0].GetProperty("validationImages").GetInt32());
        JsonElement training = json.GetProperty("training");
        Assert.AreEqual(5000, training.GetProperty("discovered").GetInt32());
        Assert.AreEqual(40_000, training.GetProperty("batched").GetInt64());
        Assert.IsTrue(training.GetProperty("countsAddUp").GetBoolean());
        Assert.AreEqual(10_000, json.GetProperty("validation").GetProperty("batched").GetInt64());
        // 20×20 digits read from local files travel through read and decode in chunks.
        StringAssert.StartsWith(training.GetProperty("graph").GetString(), "chunked by ");
        StringAssert.Contains(training.GetProperty("graph").GetString(), "reads on the calling thread");
    }

    [TestMethod]
    public async Task Train_NoSubCommand_RunsTrain()
    {
        using var data = new TempDataset().WithClasses(2, 6, 12, 12);

        SampleRun run = await SampleRun.RunAsync("--data", data.Root, "--epochs", "1", "--json");

        Assert.AreEqual("train", run.Json().GetProperty("command").GetString());
    }

    [TestMethod]
    public async Task Train_HumanOutput_PrintsEpochLinesAndReport()
    {
        using var data = new TempDataset().WithClasses(3, 10, 16, 16);

        SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "2", "--model", "softmax", "--size", "8x8");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("epoch 1/2  loss ", run.Output);
        Assert.Contains("epoch 2/2  loss ", run.Output);
        Assert.Contains("val acc", run.Output);
        Assert.Contains("pipeline report", run.Output);
        Assert.Contains("images discovered", run.Output);
    }

    [TestMethod]
    public async Task Train_NoValidationSplit_TrainsOnEveryImageWithoutValidation()
    {
        using var data = new TempDataset().WithClasses(2, 5, 12, 12);

        JsonElement json = (await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "2", "--validation-split", "0", "--size", "8x8", "--json")).Json();

        Assert.AreEqual(JsonValueKind.Null, json.GetProperty("validationAccuracy").ValueKind);
        Assert.AreEqual(JsonValueKind.Null, json.GetProperty("validation").ValueKind);
        Assert.AreEqual(10, json.GetProperty("epochs")[1].GetProperty("trainImages").GetInt32());
        Assert.AreEqual(20, json.GetProperty("training").GetProperty("batched").GetInt64());
    }

    [TestMethod]
    public async Task Train_SaveThenLoadWithZeroEpochs_ScoresTheSameValidationAccuracy()
    {
        using var data = new TempDataset().WithClasses(3, 12, 16, 16);
        string model = Path.Combine(data.Root, "..", Guid.NewGuid().ToString("N") + ".bin");
        try
        {
            JsonElement trained = (await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "3", "--size", "8x8", "--save", model, "--json")).Json();
            Assert.IsTrue(File.Exists(model));

            JsonElement loaded = (await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "0", "--size", "8x8", "--load", model, "--json")).Json();

            JsonElement lastTrained = trained.GetProperty("epochs")[2];
            JsonElement evaluation = loaded.GetProperty("epochs")[0];
            Assert.AreEqual(lastTrained.GetProperty("validationAccuracy").GetDouble(), evaluation.GetProperty("validationAccuracy").GetDouble());
            Assert.AreEqual(lastTrained.GetProperty("validationLoss").GetDouble(), evaluation.GetProperty("validationLoss").GetDouble(), 1e-9);
            Assert.AreEqual(trained.GetProperty("model").GetString(), loaded.GetProperty("model").GetString());
        }
        finally
        {
            File.Delete(model);
        }
    }

    [TestMethod]
    public async Task Train_LoadWithOtherSize_FailsWithOneLine()
    {
        using var data = new TempDataset().WithClasses(2, 6, 12, 12);
        string model = Path.Combine(data.Root, "..", Guid.NewGuid().ToString("N") + ".bin");
        try
        {
            Assert.AreEqual(0, (await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "1", "--size", "8x8", "--save", model, "--json")).ExitCode);

            SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "0", "--size", "6x6", "--load", model, "--json");

            run.AssertOneLineError("--load: the model takes [3, 8, 8] inputs", ExitCodes.UsageError);
        }
        finally
        {
            File.Delete(model);
        }
    }

    [TestMethod]
    public async Task Train_MissingDataFolder_FailsWithOneLineNamingIt()
    {
        string missing = SampleRun.AbsentPath("no-such");

        SampleRun run = await SampleRun.RunAsync("train", "--data", missing);

        run.AssertOneLineError($"--data: the folder '{missing}' does not exist.", ExitCodes.UsageError);
    }

    [TestMethod]
    [DataRow("--size", "5x", "--size must be WIDTHxHEIGHT (for example 28x28), was '5x'.")]
    [DataRow("--size", "0x5", "--size must be between 1 and 16384, was 0.")]
    [DataRow("--size", "20000x5", "--size must be between 1 and 16384, was 20000.")]
    [DataRow("--color", "purple", "purple")]
    [DataRow("--batch-size", "0", "--batch-size must be between 1 and 65536, was 0.")]
    [DataRow("--validation-split", "1", "--validation-split must be at least 0 and below 1, was 1.")]
    [DataRow("--augment", "sideways", "sideways")]
    [DataRow("--decode-parallelism", "0", "--decode-parallelism must be between 1 and 256, was 0.")]
    [DataRow("--parallelism", "300", "--parallelism must be between 1 and 256, was 300.")]
    [DataRow("--epochs", "200000", "--epochs must be between 1 and 100000, was 200000.")]
    [DataRow("--epochs", "-1", "--epochs must be at least 0, was -1.")]
    [DataRow("--dropout", "1", "--dropout must be at least 0 and below 1, was 1.")]
    public async Task Train_BadOptionValue_FailsWithOneLine(string option, string value, string expected)
    {
        SampleRun run = await SampleRun.RunAsync("train", option, value);

        run.AssertOneLineError(expected, ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Train_BatchTensorLargerThanAnArray_OneLineFromTheLibraryNamingTheFlag()
    {
        // A rule only the library states (the batch tensor must fit one .NET array): its words, with the flag's name.
        SampleRun run = await SampleRun.RunAsync("train", "--size", "16384x16384", "--batch-size", "8");

        run.AssertOneLineError("error: --batch-size × sample length (\"Width\" × \"Height\" × channels = 16384 × 16384 × 1 = 268435456) must be at most 2147483591 floats (the largest .NET array) for one batch tensor, was 8 × 268435456 = 2147483648.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Train_SaveIntoMissingFolder_FailsBeforeTrainingNamingIt()
    {
        string folder = SampleRun.AbsentPath("no-such-folder");
        string model = Path.Combine(folder, "m.bin");

        SampleRun run = await SampleRun.RunAsync("train", "--epochs", "1", "--save", model);

        run.AssertOneLineError($"--save: the folder '{folder}' does not exist.", ExitCodes.UsageError);
        // Training prints its header first: nothing printed means it never started.
        Assert.AreEqual(string.Empty, run.Output);
        Assert.IsFalse(Directory.Exists(folder));
    }

    [TestMethod]
    public async Task Train_SaveOntoAFolder_FailsBeforeTrainingNamingIt()
    {
        using var data = new TempDataset().WithClasses(2, 2, 8, 8);

        SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "1", "--save", data.Root);

        run.AssertOneLineError($"--save: '{data.Root}' is a folder, not a file.", ExitCodes.UsageError);
        Assert.AreEqual(string.Empty, run.Output);
    }

    [TestMethod]
    public async Task Train_ZeroEpochsWithoutLoad_FailsWithOneLine()
    {
        SampleRun run = await SampleRun.RunAsync("train", "--epochs", "0");

        run.AssertOneLineError("--epochs 0 only evaluates a model: give the model with --load FILE.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Train_Help_ListsThePipelineOptions()
    {
        SampleRun run = await SampleRun.RunAsync("train", "--help");

        Assert.AreEqual(0, run.ExitCode);
        foreach (string option in new[] { "--data", "--size", "--color", "--seed", "--validation-split", "--batch-size", "--epochs", "--augment", "--decode-parallelism", "--save", "--load", "--json" })
        {
            Assert.Contains(option, run.Output);
        }
    }

    [TestMethod]
    public async Task Train_SaveAndExportToADeviceNodeAndThroughLinks_TheNodeAndTheLinksStay()
    {
        using var data = new TempDataset().WithClasses(2, 6, 12, 12);
        using var other = new TempDataset();
        string node = SpecialFiles.NullDevice(Path.Combine(other.Root, "null"));
        string weights = other.WriteBytes("real/model.bin", "old"u8.ToArray());
        string onnx = other.WriteBytes("real/model.onnx", "old"u8.ToArray());
        string weightsLink = Path.Combine(other.Root, "model.bin");
        string onnxLink = Path.Combine(other.Root, "model.onnx");
        File.CreateSymbolicLink(weightsLink, weights);
        File.CreateSymbolicLink(onnxLink, onnx);

        SampleRun toNode = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "1", "--size", "8x8", "--export", node);
        SampleRun throughLinks = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "1", "--size", "8x8", "--save", weightsLink, "--export", onnxLink);

        Assert.AreEqual(0, toNode.ExitCode, toNode.Error);
        Assert.AreEqual(0, throughLinks.ExitCode, throughLinks.Error);
        Assert.AreEqual("character special file", SpecialFiles.Kind(node));
        Assert.AreEqual("symbolic link", SpecialFiles.Kind(weightsLink));
        Assert.AreEqual("symbolic link", SpecialFiles.Kind(onnxLink));
        Assert.IsGreaterThan(3L, new FileInfo(weights).Length);
        Assert.IsGreaterThan(3L, new FileInfo(onnx).Length);
        Assert.IsEmpty(Directory.GetFiles(other.Root, "*.tmp", SearchOption.AllDirectories));
    }
}
