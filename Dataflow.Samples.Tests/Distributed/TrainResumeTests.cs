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

    [TestMethod]
    public async Task Train_RanksSaveTheirOwnFilesWithRank_ResumeChecksEveryRanksStateAndRefusesADisagreeingSet()
    {
        using var data = new TempDataset().WithClasses(3, 13, 12, 10);
        string folder = data.Root + "-train-ranks";
        Directory.CreateDirectory(folder);
        string Named(string name) => Path.Combine(folder, name);
        string[] common = ["train", "--data", data.Root, "--size", "8x8", "--batch-size", "2", "--model", "softmax", "--validation-split", "0", "--epochs", "2", "--json"];
        Dictionary<string, string> Place(int rank) => new() { ["RANK"] = $"{rank}", ["WORLD_SIZE"] = "2" };

        // Two real processes placed by the launcher's variables stop after 3 steps; each writes its own weights, the
        // state beside them and the --save-state file. 39 images, 2 ranks of batch 2: 10 steps per epoch and rank.
        SamplesProcess.Result[] stopped = await Task.WhenAll(Enumerable.Range(0, 2).Select(rank => SamplesProcess.RunAsync(Place(rank),
            [.. common, "--launcher", "--stop-after", "3", "--save", Named("model-{rank}.bin"), "--save-state", Named("state-{rank}.json")])));
        Assert.IsTrue(stopped.All(r => r.ExitCode == 0), string.Join('\n', stopped.Select(r => r.Error)));
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.IsTrue(File.Exists(Named($"model-{rank}.bin")), $"rank {rank}'s weights");
            string state = await File.ReadAllTextAsync(Named($"state-{rank}.json"));
            Assert.AreEqual(await File.ReadAllTextAsync(Named($"model-{rank}.bin.loader.json")), state, "--save-state writes the state --save keeps beside the weights");
            StringAssert.Contains(state, "\"epoch\":0,\"position\":12,\"step\":3,\"worldSize\":2");
        }

        // Resumed from every rank's files of that stop: the rest of epoch 1 (7 of its 10 steps), then epoch 2.
        SamplesProcess.Result[] resumed = await Task.WhenAll(Enumerable.Range(0, 2).Select(rank => SamplesProcess.RunAsync(Place(rank),
            [.. common, "--launcher", "--resume", Named("model-{rank}.bin")])));
        Assert.IsTrue(resumed.All(r => r.ExitCode == 0), string.Join('\n', resumed.Select(r => r.Error)));
        foreach (SamplesProcess.Result run in resumed)
        {
            using JsonDocument document = JsonDocument.Parse(run.Output);
            JsonElement epochs = document.RootElement.GetProperty("epochs");
            CollectionAssert.AreEqual(new[] { 1, 2 }, epochs.EnumerateArray().Select(e => e.GetProperty("epoch").GetInt32()).ToArray());
            Assert.AreEqual(7 * 2, epochs[0].GetProperty("trainImages").GetInt32(), "the rest of the first epoch: 7 steps of 2 rows");
            Assert.AreEqual(10 * 2, epochs[1].GetProperty("trainImages").GetInt32());
        }

        // A second stop where rank 1 went one step further: resuming from that set is refused before any read, naming rank 1.
        for (int rank = 0; rank < 2; rank++)
        {
            SampleRun apart = await SampleRun.RunAsync([.. common, "--rank", $"{rank}", "--world-size", "2", "--stop-after", rank == 1 ? "4" : "3", "--save", Named("apart-{rank}.bin")]);
            Assert.AreEqual(0, apart.ExitCode, apart.Error);
        }

        (await SampleRun.RunAsync([.. common, "--rank", "0", "--world-size", "2", "--resume", Named("apart-{rank}.bin")]))
            .AssertOneLineError("--resume: The ranks' loader states are not one stop's: rank 1 stopped at epoch 0, position 16, step 4; rank 0 at epoch 0, position 12, step 3.", 2);
        (await SampleRun.RunAsync([.. common, "--rank", "0", "--world-size", "2", "--resume", Named("missing-{rank}.bin")]))
            .AssertOneLineError($"--resume: The pipeline state file '{Named("missing-0.bin.loader.json")}' does not exist.", 2);
        (await SampleRun.RunAsync([.. common, "--stop-after", "1", "--save-state", Named("no-such-folder/state.json")]))
            .AssertOneLineError($"--save-state: the folder '{Named("no-such-folder")}' does not exist.", 2);
        Directory.Delete(folder, recursive: true);
    }
}
