using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class DigestCommandTests
{
    private static async Task<JsonElement> DigestAsync(string root, params string[] extra) =>
        (await SampleRun.RunAsync(["digest", "--data", root, "--size", "12x10", "--batch-size", "5", "--json", .. extra])).Json();

    [TestMethod]
    [DataRow("--world-size", "0", "--world-size must be between 1 and 1000000, was 0.")]
    [DataRow("--rank", "-1", "--rank must be between 0 and 999999, was -1.")]
    public async Task Digest_RankOrWorldSizeTheLibraryRefuses_OneLineNamingTheFlagAndTheLibrarysRange(string option, string value, string expected)
    {
        // The ranges are PipelineOptions.Validate's; the command states none of its own.
        SampleRun run = await SampleRun.RunAsync("digest", option, value);

        run.AssertOneLineError(expected, ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Digest_DifferentParallelism_GivesTheSameSha256()
    {
        using var data = new TempDataset().WithClasses(3, 8, 24, 18);

        JsonElement serial = await DigestAsync(data.Root, "--augment", "flip", "--epochs", "2", "--parallelism", "1");
        JsonElement parallel = await DigestAsync(data.Root, "--augment", "flip", "--epochs", "2",
            "--read-parallelism", "8", "--decode-parallelism", "4", "--augment-parallelism", "3", "--normalize-parallelism", "2");

        Assert.AreEqual(serial.GetProperty("sha256").GetString(), parallel.GetProperty("sha256").GetString());
        Assert.AreEqual(48, serial.GetProperty("images").GetInt64());
        Assert.AreEqual(10, serial.GetProperty("batches").GetInt64());
    }

    [TestMethod]
    public async Task Digest_OtherSeed_GivesAnotherSha256()
    {
        using var data = new TempDataset().WithClasses(2, 6, 16, 16);

        JsonElement first = await DigestAsync(data.Root, "--seed", "1");
        JsonElement second = await DigestAsync(data.Root, "--seed", "2");

        Assert.AreNotEqual(first.GetProperty("sha256").GetString(), second.GetProperty("sha256").GetString());
    }

    [TestMethod]
    public async Task Digest_OneImageChanged_GivesAnotherSha256()
    {
        using var data = new TempDataset().WithClasses(2, 6, 16, 16);
        JsonElement before = await DigestAsync(data.Root);

        data.AddImage("class1", "img002.png", 16, 16, seed: 999);
        JsonElement after = await DigestAsync(data.Root);

        Assert.AreNotEqual(before.GetProperty("sha256").GetString(), after.GetProperty("sha256").GetString());
    }

    [TestMethod]
    public async Task Digest_SameDataInAnotherFolder_GivesTheSameSha256()
    {
        using var data = new TempDataset().WithClasses(2, 4, 16, 16);
        using var copy = new TempDataset();
        foreach (string file in Directory.EnumerateFiles(data.Root, "*", SearchOption.AllDirectories))
        {
            copy.WriteBytes(Path.GetRelativePath(data.Root, file), File.ReadAllBytes(file));
        }

        JsonElement original = await DigestAsync(data.Root);
        JsonElement moved = await DigestAsync(copy.Root);

        Assert.AreEqual(original.GetProperty("sha256").GetString(), moved.GetProperty("sha256").GetString());
    }

    [TestMethod]
    public async Task Digest_HumanOutput_PrintsTheDigestLine()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);

        SampleRun run = await SampleRun.RunAsync("digest", "--data", data.Root, "--size", "12x10", "--batch-size", "5");
        JsonElement json = await DigestAsync(data.Root);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("sha256 " + json.GetProperty("sha256").GetString(), run.Output);
    }

    [TestMethod]
    public async Task Digest_ResumeFromAFifoOrAFolder_OneLineNamingItWithoutWaiting()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);
        using var other = new TempDataset();
        string fifo = SpecialFiles.Fifo(Path.Combine(other.Root, "state.json"));

        (await SampleRun.RunAsync("digest", "--data", data.Root, "--resume", fifo))
            .AssertOneLineError($"--resume: The pipeline state file '{fifo}' is a FIFO (named pipe), not a regular file: not read.", ExitCodes.UsageError);
        (await SampleRun.RunAsync("digest", "--data", data.Root, "--resume", other.Root))
            .AssertOneLineError($"--resume: The pipeline state file '{other.Root}' is a folder, not a regular file: not read.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Digest_SaveStateToADeviceNodeOrThroughALink_TheNodeAndTheLinkStay()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 16);
        using var other = new TempDataset();
        string node = SpecialFiles.NullDevice(Path.Combine(other.Root, "null"));
        string target = other.WriteBytes("real/state.json", "old"u8.ToArray());
        string link = Path.Combine(other.Root, "state.json");
        File.CreateSymbolicLink(link, target);

        SampleRun toNode = await SampleRun.RunAsync("digest", "--data", data.Root, "--save-state", node);
        SampleRun throughLink = await SampleRun.RunAsync("digest", "--data", data.Root, "--save-state", link);

        Assert.AreEqual(0, toNode.ExitCode, toNode.Error);
        Assert.AreEqual(0, throughLink.ExitCode, throughLink.Error);
        Assert.AreEqual("character special file", SpecialFiles.Kind(node));
        Assert.AreEqual("symbolic link", SpecialFiles.Kind(link));
        Assert.AreEqual(1, Dataflow.Pipeline.Distributed.PipelineState.Load(target).Epoch);
        Assert.IsEmpty(Directory.GetFiles(other.Root, "*.tmp", SearchOption.AllDirectories));
    }
}
