using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Samples.Tests.Distributed;

/// <summary>The samples' <c>train</c>: the loader state saved beside the model, and a run resumed from both.</summary>
[TestClass]
public sealed class TrainResumeTests
{
    [TestMethod]
    public async Task Train_StoppedWithSaveThenResumed_GoesOnFromTheSavedBatch()
    {
        using var data = new TempDataset().WithClasses(2, 9, 12, 10);
        string model = data.Root + "-model.bin";
        string[] common = ["train", "--data", data.Root, "--size", "8x8", "--batch-size", "4", "--model", "softmax", "--validation-split", "0.2", "--json"];

        JsonElement first = (await SampleRun.RunAsync([.. common, "--epochs", "2", "--stop-after", "6", "--save", model])).Json();
        string state = await File.ReadAllTextAsync(model + ".loader.json");
        // 14 training images in batches of 4: 4 steps per epoch, so 6 batches end in the middle of the second epoch.
        StringAssert.Contains(state, "\"epoch\":1,\"position\":8,\"step\":2");
        Assert.AreEqual(2, first.GetProperty("epochs").GetArrayLength());

        JsonElement resumed = (await SampleRun.RunAsync([.. common, "--epochs", "3", "--resume", model, "--save", model + "2"])).Json();
        int[] epochs = [.. resumed.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("epoch").GetInt32())];
        CollectionAssert.AreEqual(new[] { 2, 3 }, epochs);
        Assert.AreEqual(4 + 2, resumed.GetProperty("epochs")[0].GetProperty("trainImages").GetInt32(), "the rest of epoch 2: its last two batches");
        StringAssert.Contains(await File.ReadAllTextAsync(model + "2.loader.json"), "\"epoch\":3,\"position\":0,\"step\":0");

        SampleRun both = await SampleRun.RunAsync([.. common, "--resume", model, "--load", model]);
        both.AssertOneLineError("--resume and --load both give the starting weights", 2);
        foreach (string file in new[] { model, model + ".loader.json", model + "2", model + "2.loader.json" })
        {
            File.Delete(file);
        }
    }
}
