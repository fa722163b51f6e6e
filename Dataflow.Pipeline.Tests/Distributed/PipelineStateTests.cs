using System.Text;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Distributed;

[TestClass]
public sealed class PipelineStateTests
{
    private static PipelineState State(int samples = 21)
    {
        var planner = new PartitionPlanner(PartitionPlannerTests.Options(2, 1, 4));
        return planner.StateAfter(planner.Plan(PartitionPlannerTests.Set(samples), [.. Enumerable.Range(0, samples)], 1), 0)!;
    }

    [TestMethod]
    public void ToBytes_Parse_RoundTrips()
    {
        PipelineState state = State();
        PipelineState back = PipelineState.Parse(state.ToBytes());
        Assert.AreEqual((1, 8L, 1, 4), (back.Epoch, back.Position, back.Step, back.WorldSize));
        Assert.AreEqual(state.Identity, back.Identity);
    }

    [TestMethod]
    public void For_BgrWithImageNetBeforeAndAfterBuild_SameIdentity()
    {
        // Built options hold per-channel values in the pipeline's channel order; a state taken from a built pipeline
        // must still match options as the user wrote them (the samples' plan command fingerprints those).
        var written = new PipelineOptions { ColorMode = Dataflow.Pipeline.Decoding.ColorMode.Bgr, Normalization = Dataflow.Pipeline.Normalization.NormalizationOptions.ImageNet };
        Assert.AreEqual(PipelineStateIdentity.For(written, "d", 10), PipelineStateIdentity.For(written.Freeze(), "d", 10));
        var rgb = written with { ColorMode = Dataflow.Pipeline.Decoding.ColorMode.Rgb };
        Assert.AreNotEqual(PipelineStateIdentity.For(rgb, "d", 10), PipelineStateIdentity.For(written, "d", 10));
    }

    [TestMethod]
    public void ToBytes_AnyDatasetSize_IsUnderOneKilobyte()
    {
        Assert.IsLessThan(1024, State(21).ToBytes().Length);
        Assert.IsLessThan(1024, State(50_000).ToBytes().Length);
    }

    [TestMethod]
    public void Parse_Truncated_SaysSo()
    {
        byte[] bytes = State().ToBytes();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(bytes.AsSpan(0, bytes.Length / 2), "state.json"));
        StringAssert.StartsWith(e.Message, "state.json is not a pipeline state (truncated or damaged JSON");
    }

    [TestMethod]
    public void Parse_NewerFormat_SaysToUpdate()
    {
        string json = Encoding.UTF8.GetString(State().ToBytes());
        StringAssert.Contains(json, "\"format\":1", "a state of the built-in order is written as before");
        json = json.Replace("\"format\":1", "\"format\":3", StringComparison.Ordinal);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(Encoding.UTF8.GetBytes(json), "state.json"));
        Assert.AreEqual("state.json was written in format 3, newer than this library reads (2): update the library to resume from it.", e.Message);
    }

    [TestMethod]
    public void Parse_GarbageEmptyOrMissingField_SaysWhat()
    {
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse([0xFF, 0x00, 0x13], "x")).Message, "not a pipeline state");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse([], "x")).Message, "x is empty");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse("[1,2]"u8, "x")).Message, "has no \"format\" number");
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse("{\"format\":1,\"epoch\":0}"u8, "x"));
        Assert.AreEqual("x is not a usable pipeline state: \"position\" must be a whole number, was missing.", missing.Message);
    }

    [TestMethod]
    public void Load_MissingFile_NamesIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "dataflow-tests", Guid.NewGuid().ToString("N") + ".json");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => PipelineState.Load(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void Save_Load_RoundTripsThroughAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "dataflow-tests", Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            PipelineState state = State();
            state.Save(path);
            Assert.AreEqual(state.ToString(), PipelineState.Load(path).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Load_Fifo_RefusedNamingItWithoutOpening()
    {
        using var folder = new TempDataset();
        string fifo = SpecialFiles.Fifo(Path.Combine(folder.Root, "state.json"));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Load(fifo));

        Assert.AreEqual($"The pipeline state file '{fifo}' is a FIFO (named pipe), not a regular file: not read.", e.Message);
    }

    [TestMethod]
    public void Load_Folder_SaysItIsAFolder()
    {
        using var folder = new TempDataset();

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Load(folder.Root));

        Assert.AreEqual($"The pipeline state file '{folder.Root}' is a folder, not a regular file: not read.", e.Message);
    }

    [TestMethod]
    public void Save_ToACharacterDevice_WritesThroughAndTheNodeStays()
    {
        using var folder = new TempDataset();
        string node = SpecialFiles.NullDevice(Path.Combine(folder.Root, "null"));

        State().Save(node);

        Assert.AreEqual("character special file", SpecialFiles.Kind(node));
        Assert.IsFalse(File.Exists(node + ".tmp"));
    }

    [TestMethod]
    public void Save_ThroughASymbolicLink_ReplacesWhatItLeadsToAndKeepsTheLink()
    {
        using var folder = new TempDataset();
        string target = folder.WriteBytes("real/state.json", "old"u8.ToArray());
        string link = Path.Combine(folder.Root, "state.json");
        File.CreateSymbolicLink(link, target);
        PipelineState state = State();

        state.Save(link);

        Assert.AreEqual("symbolic link", SpecialFiles.Kind(link));
        Assert.AreEqual(target, new FileInfo(link).LinkTarget);
        Assert.AreEqual(state.ToString(), PipelineState.Load(target).ToString());
        Assert.IsFalse(File.Exists(link + ".tmp"));
        Assert.IsFalse(File.Exists(target + ".tmp"));
    }

    [TestMethod]
    public void Save_ToAFolder_RefusedNamingIt()
    {
        using var folder = new TempDataset();

        var e = Assert.ThrowsExactly<IOException>(() => State().Save(folder.Root));

        Assert.AreEqual($"'{folder.Root}' is a folder, not a regular file: not written.", e.Message);
        Assert.IsTrue(Directory.Exists(folder.Root));
    }

    private static byte[] With(PipelineState state, string field, System.Text.Json.Nodes.JsonNode? value)
    {
        System.Text.Json.Nodes.JsonObject json = System.Text.Json.Nodes.JsonNode.Parse(state.ToBytes())!.AsObject();
        json[field] = value;
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [TestMethod]
    public void Parse_StepInconsistentWithThePosition_RefusedNamingTheField()
    {
        // Position 8 of batches of 2 (on 4 ranks: one step so far, State's planner).
        PipelineState state = State();
        Assert.AreEqual((8L, 1, 2), (state.Position, state.Step, state.Identity.BatchSize));

        var above = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(With(state, "step", 5), "x"));
        Assert.AreEqual("x is not a usable pipeline state: \"step\" must be at most \"position\" / \"batchSize\" = 8 / 2 = 4: each step takes at least one batch, was 5.", above.Message);
        var huge = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(With(state, "step", int.MaxValue), "x"));
        StringAssert.Contains(huge.Message, $"\"step\" must be at most \"position\" / \"batchSize\" = 8 / 2 = 4: each step takes at least one batch, was {int.MaxValue}.");
        var none = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(With(state, "step", 0), "x"));
        Assert.AreEqual("x is not a usable pipeline state: \"step\" must be at least 1 when \"position\" is 8: a position is reached in steps, was 0.", none.Message);
        var odd = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(With(state, "position", 7), "x"));
        Assert.AreEqual("x is not a usable pipeline state: \"position\" must be a multiple of \"batchSize\" (2): each step takes whole batches, was 7.", odd.Message);
        // A step that several worlds could have taken (elastic resumption: 4 steps of one rank) is kept.
        Assert.AreEqual(4, PipelineState.Parse(With(state, "step", 4), "x").Step);
    }

    [TestMethod]
    public void Parse_EnumFieldAsANumber_RefusedNamingTheField()
    {
        PipelineState state = State();

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(With(state, "remainder", "1"), "x"));

        Assert.AreEqual($"x is not a usable pipeline state: \"remainder\" must be one of {string.Join(", ", Enum.GetNames<RemainderPolicy>())}, was \"1\".", e.Message);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => PipelineState.Parse(With(state, "subset", "0"), "x")).Message, "\"subset\" must be one of");
        Assert.AreEqual(state.Identity.Remainder, PipelineState.Parse(With(state, "remainder", state.Identity.Remainder.ToString()), "x").Identity.Remainder);
    }

    [TestMethod]
    public void Agreed_EveryRanksStateOfOneStop_RanksZerosOrRefusedNamingTheRanks()
    {
        PipelineStateIdentity Identity(RemainderPolicy remainder) => PipelineStateIdentity.For(new PipelineOptions { BatchSize = 2, Remainder = remainder }, "d", 39);
        PipelineStateIdentity pad = Identity(RemainderPolicy.Pad);
        PipelineStateIdentity uneven = Identity(RemainderPolicy.Uneven);

        var same = new PipelineState(0, 12, 2, 3, pad);
        Assert.AreSame(same, PipelineState.Agreed([same, new PipelineState(0, 12, 2, 3, pad), new PipelineState(0, 12, 2, 3, pad)]));

        // Under Uneven a rank with one step fewer may already point at the next epoch while rank 0 takes its last step.
        var last = new PipelineState(0, 36, 6, 3, uneven);
        Assert.AreSame(last, PipelineState.Agreed([last, new PipelineState(0, 36, 6, 3, uneven), new PipelineState(1, 0, 0, 3, uneven)]));

        ArgumentException apart = Assert.ThrowsExactly<ArgumentException>(() => PipelineState.Agreed([same, new PipelineState(1, 0, 0, 3, pad), new PipelineState(0, 18, 3, 3, pad)]));
        StringAssert.Contains(apart.Message, "rank 1 stopped at epoch 1, position 0, step 0; rank 0 at epoch 0, position 12, step 2; rank 2 stopped at epoch 0, position 18, step 3;");
        ArgumentException missing = Assert.ThrowsExactly<ArgumentException>(() => PipelineState.Agreed([same, same]));
        StringAssert.Contains(missing.Message, "rank 0's state was saved by a run of world size 3, and 2 states were given");
        ArgumentException other = Assert.ThrowsExactly<ArgumentException>(() => PipelineState.Agreed([same, new PipelineState(0, 12, 2, 3, Identity(RemainderPolicy.Drop)), same]));
        StringAssert.Contains(other.Message, "rank 1's state is from another run");
    }
}
