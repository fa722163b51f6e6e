using System.CommandLine;
using System.Text.Json;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class AugmentationArgumentsTests
{
    private static (IReadOnlyList<IAugmentation> List, string Name) Parse(string commandLine)
    {
        (AugmentationArguments arguments, ParseResult parse) = Declared(commandLine);
        Assert.IsEmpty(parse.Errors, string.Join("; ", parse.Errors.Select(e => e.Message)));
        return arguments.Create(parse);
    }

    [TestMethod]
    public void Create_NoOptions_NoAugmentation()
    {
        var (list, name) = Parse("");
        Assert.IsEmpty(list);
        Assert.AreEqual("none", name);
    }

    [TestMethod]
    [DataRow("none")]
    [DataRow("flip")]
    [DataRow("light")]
    [DataRow("imagenet")]
    [DataRow("randaugment")]
    [DataRow("trivialaugment")]
    [DataRow("autoaugment")]
    public void Create_Preset_IsTheLibrarysPreset(string preset)
    {
        var (list, name) = Parse("--augment " + preset);
        Assert.AreEqual(string.Join("; ", AugmentationPresets.Get(preset)), string.Join("; ", list));
        Assert.AreEqual(preset, name);
    }

    [TestMethod]
    public void Create_PresetPlusOptions_CropFirstThenPresetThenAdditionsInOrder()
    {
        var (list, name) = Parse("--augment imagenet --erase 0.25 --rotate 10 --crop-scale 0.3 --blur 1.5 --vflip 0.1 --grayscale 0.2 --jitter 0.1 --flip 1");
        string[] expected =
        [
            "RandomResizedCrop(scale=(0.3, 1), ratio=(0.75, 1.333))",
            "RandomHorizontalFlip(p=0.5)",
            "ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0, p=1)",
            "RandomHorizontalFlip(p=1)",
            "RandomVerticalFlip(p=0.1)",
            "RandomRotation(degrees=(-10, 10), fill=0, interpolation=Bilinear, p=1)",
            "ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1, hue=0, p=1)",
            "RandomGrayscale(p=0.2)",
            "GaussianBlur(kernelSize=11, sigma=(0.1, 1.5), p=1)",
            "RandomErasing(p=0.25, scale=(0.02, 0.33), ratio=(0.3, 3.3), fill=0)",
        ];
        CollectionAssert.AreEqual(expected, list.Select(a => a.ToString()).ToArray());
        Assert.AreEqual("imagenet --crop-scale 0.3 --flip 1 --vflip 0.1 --rotate 10 --jitter 0.1 --grayscale 0.2 --blur 1.5 --erase 0.25", name);
    }

    [TestMethod]
    [DataRow("--augment heavy", "--augment must be one of none, flip, light, imagenet, randaugment, trivialaugment, autoaugment, was 'heavy'.")]
    [DataRow("--blur 0", "--blur must be between 0.1 and 20, was 0.")]
    [DataRow("--jitter 2", "--jitter must be between 0 and 1, was 2.")]
    public void Parse_OutOfTheCommandsOwnRange_OneErrorNamingTheOption(string commandLine, string message)
    {
        (_, ParseResult parse) = Declared(commandLine);
        Assert.AreEqual(message, parse.Errors.Single().Message);
    }

    [TestMethod]
    [DataRow("--flip 1.5", "--flip must be at least 0 and at most 1, was 1.5.")]
    [DataRow("--grayscale -0.5", "--grayscale must be at least 0 and at most 1, was -0.5.")]
    [DataRow("--rotate 200", "--rotate must be at least 0 and at most 180, was 200.")]
    [DataRow("--crop-scale 0", "--crop-scale must be a range (low, high) with 0 < low <= high <= 1, was (0, 1).")]
    [DataRow("--mixup 0", "--mixup must be above 0 and at most 100, was 0.")]
    [DataRow("--cutmix 101", "--cutmix must be above 0 and at most 100, was 101.")]
    public void Create_ValueTheTransformRefuses_UsageErrorNamingTheFlagAndTheLibrarysRange(string commandLine, string message)
    {
        // The range is the transform's own (its constructor's check), reported with the flag instead of the parameter.
        (AugmentationArguments arguments, ParseResult parse) = Declared(commandLine);
        Assert.IsEmpty(parse.Errors);

        var e = Assert.ThrowsExactly<UsageException>(() =>
        {
            arguments.Create(parse);
            arguments.CreateBatch(parse);
        });
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    [DataRow("", "")]
    [DataRow("--mixup 0.2", "MixUp(alpha=0.2, p=1)")]
    [DataRow("--cutmix 1", "CutMix(alpha=1, p=1)")]
    [DataRow("--cutmix 1 --mixup 0.2", "BatchOneOf([MixUp(alpha=0.2, p=1), CutMix(alpha=1, p=1)], weights=[1, 1])")]
    public void CreateBatch_MixUpAndCutMix_OneOfTheTwoPerBatchWhenBoth(string commandLine, string expected)
    {
        (AugmentationArguments arguments, ParseResult parse) = Declared(commandLine);
        Assert.AreEqual(expected, string.Join("; ", arguments.CreateBatch(parse)));
        Assert.AreEqual(("none " + commandLine.Replace("--cutmix 1 --mixup 0.2", "--mixup 0.2 --cutmix 1", StringComparison.Ordinal)).Trim(), arguments.Create(parse).Name);
    }

    [TestMethod]
    public async Task Train_MixUpAndCutMix_TrainsOnSoftLabelsAndReportsThem()
    {
        using var data = new TempDataset().WithClasses(2, 6, 24, 24);

        SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "2", "--size", "12x12",
            "--augment", "randaugment", "--mixup", "0.2", "--cutmix", "1", "--json");

        JsonElement json = run.Json();
        Assert.AreEqual("randaugment --mixup 0.2 --cutmix 1", json.GetProperty("settings").GetProperty("augment").GetString());
        Assert.IsTrue(json.GetProperty("training").GetProperty("countsAddUp").GetBoolean());
        Assert.IsTrue(double.IsFinite(json.GetProperty("epochs")[1].GetProperty("loss").GetDouble()));
    }

    [TestMethod]
    public async Task Train_AugmentOptions_AcceptedAndReported()
    {
        using var data = new TempDataset().WithClasses(2, 6, 24, 24);

        SampleRun run = await SampleRun.RunAsync("train", "--data", data.Root, "--epochs", "1", "--size", "12x12",
            "--augment", "light", "--crop-scale", "0.5", "--erase", "0.5", "--json");

        JsonElement json = run.Json();
        Assert.AreEqual("light --crop-scale 0.5 --erase 0.5", json.GetProperty("settings").GetProperty("augment").GetString());
        Assert.IsTrue(json.GetProperty("training").GetProperty("countsAddUp").GetBoolean());
    }

    [TestMethod]
    public async Task Train_UnknownPreset_FailsWithOneLine()
    {
        SampleRun run = await SampleRun.RunAsync("train", "--augment", "heavy");
        run.AssertOneLineError("--augment must be one of none, flip, light, imagenet, randaugment, trivialaugment, autoaugment, was 'heavy'.", ExitCodes.UsageError);
    }

    private static (AugmentationArguments Arguments, ParseResult Parse) Declared(string commandLine)
    {
        var arguments = new AugmentationArguments();
        var command = new RootCommand();
        arguments.AddTo(command);
        return (arguments, command.Parse(commandLine));
    }
}
