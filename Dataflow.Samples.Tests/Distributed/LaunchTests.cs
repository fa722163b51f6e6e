using System.Globalization;
using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests.Distributed;

/// <summary>The samples app as real processes, launched by Open MPI's mpirun or given the launcher variables by hand.</summary>
[TestClass]
public sealed class LaunchTests
{
    private static string[] Digest(string root, params string[] extra) =>
        ["digest", "--data", root, "--size", "8x8", "--batch-size", "2", "--epochs", "2", "--parallelism", "1", .. extra];

    private static string[] Relative(TempDataset data) =>
        [.. Directory.GetFiles(data.Root, "*.png", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(data.Root, p).Replace('\\', '/'))];

    [TestMethod]
    public async Task Mpirun_FourProcesses_ShareEveryEpochExactly()
    {
        using var data = new TempDataset().WithClasses(3, 7, 12, 10);
        string lists = Path.Combine(data.Root, "..", Path.GetFileName(data.Root) + "-lists");
        Directory.CreateDirectory(lists);

        SamplesProcess.Result run = await SamplesProcess.MpirunAsync(4, Digest(data.Root, "--samples", Path.Combine(lists, "rank{rank}.txt"), "--json", "--launcher"));

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        var rows = Enumerable.Range(0, 4).SelectMany(r => ListedRow.Read(Path.Combine(lists, $"rank{r}.txt"), r)).ToList();
        ListedRow.AssertExactPartition(rows, Relative(data), epochs: 2, worldSize: 4);
        Assert.AreEqual(6, rows.Count(r => r.Weight == 0f), "21 samples over 4 ranks of 2: 3 repeats per epoch");
        Directory.Delete(lists, recursive: true);
    }

    [TestMethod]
    public async Task ChildProcesses_GivenRankAndWorldSize_ShareEveryEpochExactly()
    {
        using var data = new TempDataset().WithClasses(2, 10, 12, 10);
        string lists = Path.Combine(data.Root, "..", Path.GetFileName(data.Root) + "-lists");
        Directory.CreateDirectory(lists);

        SamplesProcess.Result[] runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(rank => SamplesProcess.RunAsync(
            new Dictionary<string, string> { ["RANK"] = rank.ToString(CultureInfo.InvariantCulture), ["WORLD_SIZE"] = "3" },
            Digest(data.Root, "--samples", Path.Combine(lists, "rank{rank}.txt"), "--launcher"))));

        foreach (SamplesProcess.Result run in runs)
        {
            Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        }

        var rows = Enumerable.Range(0, 3).SelectMany(r => ListedRow.Read(Path.Combine(lists, $"rank{r}.txt"), r)).ToList();
        ListedRow.AssertExactPartition(rows, Relative(data), epochs: 2, worldSize: 3);

        // The plan command lists the same rows without decoding.
        SamplesProcess.Result plan = await SamplesProcess.RunAsync(new Dictionary<string, string>(),
            ["plan", "--data", data.Root, "--batch-size", "2", "--epochs", "2", "--rank", "1", "--world-size", "3", "--out", Path.Combine(lists, "plan{rank}.txt")]);
        Assert.AreEqual(0, plan.ExitCode, plan.Output + plan.Error);
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(lists, "rank1.txt")), File.ReadAllLines(Path.Combine(lists, "plan1.txt")));
        Directory.Delete(lists, recursive: true);
    }

    [TestMethod]
    public async Task ChildProcess_LauncherVariablesWithoutTheLauncherOption_ReadsEverySampleAndSaysSo()
    {
        // A plain script inside an sbatch --ntasks=4 allocation: every sample, and a line naming the variables it left alone.
        using var data = new TempDataset().WithClasses(2, 5, 12, 10);
        var slurm = new Dictionary<string, string> { ["SLURM_PROCID"] = "1", ["SLURM_NTASKS"] = "4" };

        SamplesProcess.Result plain = await SamplesProcess.RunAsync(slurm, Digest(data.Root));
        Assert.AreEqual(0, plain.ExitCode, plain.Output + plain.Error);
        StringAssert.Contains(plain.Output, "  10 batches, 20 images");
        StringAssert.Contains(plain.Output,
            "launcher variables not read (SLURM_PROCID=1, SLURM_NTASKS=4): this process read every sample; --launcher takes the rank and world size from them");

        // Asked for, the same variables make it rank 1 of 4, and the report names them.
        SamplesProcess.Result launched = await SamplesProcess.RunAsync(slurm, Digest(data.Root, "--launcher", "--json"));
        Assert.AreEqual(0, launched.ExitCode, launched.Output + launched.Error);
        using JsonDocument json = JsonDocument.Parse(launched.Output);
        JsonElement report = json.RootElement.GetProperty("report");
        Assert.AreEqual((1, 4, "SLURM_PROCID=1, SLURM_NTASKS=4"),
            (report.GetProperty("rank").GetInt32(), report.GetProperty("worldSize").GetInt32(), report.GetProperty("rankSource").GetString()));
        Assert.AreEqual(JsonValueKind.Null, report.GetProperty("unreadLauncherVariables").ValueKind);
        Assert.AreEqual(6, json.RootElement.GetProperty("images").GetInt32(), "this rank's part of 10 samples: 2 from the full step and 1 from the last, in each of 2 epochs");
    }

    [TestMethod]
    public async Task ChildProcesses_LaunchersThatDisagreeOrRankOutOfRange_FailNamingTheVariables()
    {
        using var data = new TempDataset().WithClasses(2, 2, 12, 10);

        SamplesProcess.Result both = await SamplesProcess.RunAsync(
            new Dictionary<string, string> { ["RANK"] = "1", ["WORLD_SIZE"] = "2", ["OMPI_COMM_WORLD_RANK"] = "1", ["OMPI_COMM_WORLD_SIZE"] = "3" }, Digest(data.Root, "--launcher"));
        Assert.AreEqual(2, both.ExitCode, both.Error);
        StringAssert.Contains(both.Error, "The launchers' variables disagree: RANK=1, WORLD_SIZE=2 but OMPI_COMM_WORLD_RANK=1, OMPI_COMM_WORLD_SIZE=3");

        SamplesProcess.Result range = await SamplesProcess.RunAsync(new Dictionary<string, string>(), Digest(data.Root, "--rank", "2", "--world-size", "2"));
        Assert.AreEqual(2, range.ExitCode, range.Error);
        StringAssert.Contains(range.Error, "--rank must be between 0 and 1, was 2.");
    }

    [TestMethod]
    public async Task ProcessRestart_ResumedDigest_ContinuesTheUninterruptedRun()
    {
        using var data = new TempDataset().WithClasses(3, 7, 12, 10);
        string state = data.Root + "-state.json";
        var none = new Dictionary<string, string>();

        SamplesProcess.Result first = await SamplesProcess.RunAsync(none, Digest(data.Root, "--augment", "flip", "--stop-after", "7", "--save-state", state, "--json"));
        Assert.AreEqual(0, first.ExitCode, first.Error);
        Assert.IsLessThan(1024L, new FileInfo(state).Length);
        SamplesProcess.Result second = await SamplesProcess.RunAsync(none, Digest(data.Root, "--augment", "flip", "--resume", state, "--json"));
        Assert.AreEqual(0, second.ExitCode, second.Error);
        JsonElement whole = (await SampleRun.RunAsync(Digest(data.Root, "--augment", "flip", "--json"))).Json();

        string[] parts = [.. Digests(first.Output), .. Digests(second.Output)];
        CollectionAssert.AreEqual(Digests(whole), parts);
        Assert.HasCount(22, parts);

        // The same state with other options or from a damaged file: one line naming why.
        SampleRun other = await SampleRun.RunAsync(Digest(data.Root, "--resume", state));
        other.AssertOneLineError("Augmentations fingerprint was", 2);
        await File.WriteAllTextAsync(state, (await File.ReadAllTextAsync(state))[..40]);
        SampleRun truncated = await SampleRun.RunAsync(Digest(data.Root, "--augment", "flip", "--resume", state));
        truncated.AssertOneLineError("is not a pipeline state (truncated or damaged JSON", 2);
        File.Delete(state);
    }

    [TestMethod]
    public async Task ElasticResume_FourToThreeAndTwoToFive_CoverTheRestOfTheEpochOnce()
    {
        using var data = new TempDataset().WithClasses(3, 13, 12, 10);
        string folder = data.Root + "-elastic";
        Directory.CreateDirectory(folder);
        foreach ((int from, int to) in new[] { (4, 3), (2, 5) })
        {
            // Every rank of the first run stops after 2 steps (in-process: the same command); ranks' states are the same.
            var rows = new List<ListedRow>();
            string state = Path.Combine(folder, $"state-{from}.json");
            for (int rank = 0; rank < from; rank++)
            {
                string list = Path.Combine(folder, $"before-{from}-{rank}.txt");
                SampleRun stopped = await SampleRun.RunAsync(Digest(data.Root, "--rank", $"{rank}", "--world-size", $"{from}", "--stop-after", "2",
                    "--save-state", state, "--samples", list, "--json"));
                Assert.AreEqual(0, stopped.ExitCode, stopped.Error);
                rows.AddRange(ListedRow.Read(list, rank));
            }

            // The second run resumes the saved state with another world size: real processes given the launcher variables
            // for 4 -> 3, in-process runs for 2 -> 5 (each process costs seconds on a busy machine).
            string AfterList(int rank) => Path.Combine(folder, $"after-{to}-{rank}.txt");
            if (to == 3)
            {
                SamplesProcess.Result[] resumed = await Task.WhenAll(Enumerable.Range(0, to).Select(rank => SamplesProcess.RunAsync(
                    new Dictionary<string, string> { ["RANK"] = $"{rank}", ["WORLD_SIZE"] = $"{to}" },
                    Digest(data.Root, "--resume", state, "--samples", AfterList(rank), "--launcher"))));
                Assert.IsTrue(resumed.All(r => r.ExitCode == 0), string.Join('\n', resumed.Select(r => r.Error)));
            }
            else
            {
                for (int rank = 0; rank < to; rank++)
                {
                    SampleRun run = await SampleRun.RunAsync(Digest(data.Root, "--rank", $"{rank}", "--world-size", $"{to}", "--resume", state, "--samples", AfterList(rank)));
                    Assert.AreEqual(0, run.ExitCode, run.Error);
                }
            }

            var after = Enumerable.Range(0, to).SelectMany(r => ListedRow.Read(AfterList(r), r)).ToList();
            string[] epoch0 = [.. rows.Concat(after).Where(r => r.Epoch == 0 && r.Weight == 1f).Select(r => r.Path)];
            CollectionAssert.AreEquivalent(Relative(data), epoch0, $"{from} -> {to}: the rest of epoch 0 is not covered exactly once");
            Assert.AreEqual(1, Enumerable.Range(0, to).Select(r => after.Where(x => x.Rank == r && x.Epoch == 0).Select(x => x.Batch).Distinct().Count()).Distinct().Count());
            ListedRow.AssertExactPartition([.. after.Where(r => r.Epoch == 1).Select(r => r with { Epoch = 0 })], Relative(data), epochs: 1, worldSize: to);
        }

        Directory.Delete(folder, recursive: true);
    }

    [TestMethod]
    public async Task Resume_EveryRanksStates_OneStopsSetResumesExactlyOnceADisagreeingSetIsRefusedNamingTheRank()
    {
        using var data = new TempDataset().WithClasses(3, 13, 12, 10);
        string folder = data.Root + "-ranks";
        Directory.CreateDirectory(folder);
        string States(string name) => Path.Combine(folder, name + "-{rank}.json");

        // Three ranks stop after 2 steps and each saves its own state ({rank} in the name); in a second set rank 2 went
        // one step further than the others, as ranks stopped by a pre-emption at different moments would.
        var rows = new List<ListedRow>();
        for (int rank = 0; rank < 3; rank++)
        {
            string list = Path.Combine(folder, $"before-{rank}.txt");
            SampleRun stopped = await SampleRun.RunAsync(Digest(data.Root, "--rank", $"{rank}", "--world-size", "3", "--stop-after", "2",
                "--save-state", States("same"), "--samples", list));
            Assert.AreEqual(0, stopped.ExitCode, stopped.Error);
            rows.AddRange(ListedRow.Read(list, rank));
            SampleRun other = await SampleRun.RunAsync(Digest(data.Root, "--rank", $"{rank}", "--world-size", "3", "--stop-after", rank == 2 ? "3" : "2",
                "--save-state", States("apart")));
            Assert.AreEqual(0, other.ExitCode, other.Error);
        }

        Assert.IsTrue(File.Exists(Path.Combine(folder, "same-2.json")), "each rank wrote its own state");
        (await SampleRun.RunAsync(Digest(data.Root, "--rank", "0", "--world-size", "2", "--resume", States("apart"))))
            .AssertOneLineError("--resume: The ranks' loader states are not one stop's: rank 2 stopped at epoch 0, position 18, step 3; rank 0 at epoch 0, position 12, step 2. " +
                "Resume every rank from the states one stopped run saved (resuming from these would deliver some samples twice and others never).", ExitCodes.UsageError);

        // One stop's set resumes at another world size: the rest of the epoch, exactly once.
        var after = new List<ListedRow>();
        for (int rank = 0; rank < 2; rank++)
        {
            string list = Path.Combine(folder, $"after-{rank}.txt");
            SampleRun run = await SampleRun.RunAsync(Digest(data.Root, "--rank", $"{rank}", "--world-size", "2", "--resume", States("same"), "--samples", list));
            Assert.AreEqual(0, run.ExitCode, run.Error);
            after.AddRange(ListedRow.Read(list, rank));
        }

        string[] epoch0 = [.. rows.Concat(after).Where(r => r.Epoch == 0 && r.Weight == 1f).Select(r => r.Path)];
        CollectionAssert.AreEquivalent(Relative(data), epoch0, "the rest of epoch 0 is not covered exactly once");
        Directory.Delete(folder, recursive: true);
    }

    private static string[] Digests(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return Digests(document.RootElement);
    }

    private static string[] Digests(JsonElement root) => [.. root.GetProperty("batchDigests").EnumerateArray().Select(e => e.GetString()!)];
}
