using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Dataflow.Pipeline.Tests.Distributed;

[TestClass]
public sealed class LauncherEnvironmentTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }

    [TestMethod]
    public void Read_EachLauncher_GivesItsRankAndSize()
    {
        foreach ((string rank, string size, string _) in LauncherEnvironment.Variables)
        {
            RankAssignment? found = LauncherEnvironment.Read(Env((rank, "2"), (size, "5")));
            Assert.IsNotNull(found);
            Assert.AreEqual((2, 5), (found.Rank, found.WorldSize), rank);
            Assert.AreEqual($"{rank}=2, {size}=5", found.Source);
        }
    }

    [TestMethod]
    public void Read_NothingSet_IsNull() => Assert.IsNull(LauncherEnvironment.Read(Env()));

    [TestMethod]
    public void Read_TwoLaunchersThatAgree_IsAccepted()
    {
        RankAssignment? found = LauncherEnvironment.Read(Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"), ("PMI_RANK", "1"), ("PMI_SIZE", "4")));
        Assert.AreEqual((1, 4), (found!.Rank, found.WorldSize));
    }

    [TestMethod]
    public void Read_TwoLaunchersThatDisagree_NamesBoth()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => LauncherEnvironment.Read(Env(("RANK", "1"), ("WORLD_SIZE", "4"), ("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2"))));
        StringAssert.Contains(e.Message, "The launchers' variables disagree: RANK=1, WORLD_SIZE=4 but SLURM_PROCID=0, SLURM_NTASKS=2");
    }

    [TestMethod]
    public void Read_HalfAPair_NamesTheMissingVariable()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => LauncherEnvironment.Read(Env(("RANK", "1"))));
        StringAssert.Contains(e.Message, "RANK=1 but WORLD_SIZE is not set");
        Assert.AreEqual("WORLD_SIZE", e.ParamName);
    }

    [TestMethod]
    public void Read_RankNotBelowSize_NamesTheVariablesAndValues()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LauncherEnvironment.Read(Env(("OMPI_COMM_WORLD_RANK", "4"), ("OMPI_COMM_WORLD_SIZE", "4"))));
        StringAssert.Contains(e.Message, "Variable \"OMPI_COMM_WORLD_RANK\" must be below OMPI_COMM_WORLD_SIZE (4), was 4");
    }

    [TestMethod]
    public void Read_SizeZeroOrNotANumber_NamesTheVariable()
    {
        var zero = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LauncherEnvironment.Read(Env(("RANK", "0"), ("WORLD_SIZE", "0"))));
        StringAssert.Contains(zero.Message, "Variable \"WORLD_SIZE\" must be a whole number of at least 1, was '0'");
        var text = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LauncherEnvironment.Read(Env(("PMI_RANK", "one"), ("PMI_SIZE", "2"))));
        StringAssert.Contains(text.Message, "Variable \"PMI_RANK\" must be a whole number of at least 0, was 'one'");
    }

    [TestMethod]
    public void Resolve_ExplicitValues_WinOverTheEnvironment()
    {
        RankAssignment place = LauncherEnvironment.Resolve(3, 8, Env(("RANK", "1"), ("WORLD_SIZE", "4")));
        Assert.AreEqual((3, 8, "options"), (place.Rank, place.WorldSize, place.Source));
    }

    [TestMethod]
    public void Resolve_ExplicitWorldSizeAndLauncherRank_AreCheckedTogether()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LauncherEnvironment.Resolve(null, 2, Env(("RANK", "3"), ("WORLD_SIZE", "4"))));
        StringAssert.Contains(e.Message, "Parameter \"Rank\" must be between 0 and 1 (WorldSize 2), was 3 (options and RANK=3, WORLD_SIZE=4)");
    }

    [TestMethod]
    public void Resolve_NothingSet_IsRankZeroOfOne()
    {
        RankAssignment place = LauncherEnvironment.Resolve(null, null, Env());
        Assert.AreEqual((0, 1), (place.Rank, place.WorldSize));
    }

    [TestMethod]
    public void Build_RankNotBelowWorldSizeOrWorldSizeZero_FailsNamingTheOption()
    {
        var rank = Assert.ThrowsExactly<PipelineOptionsException>(() => ImagePipeline.CreateBuilder(new PipelineOptions { Rank = 4, WorldSize = 4 }).BuildStream());
        StringAssert.Contains(rank.Message, "Parameter \"Rank\" must be between 0 and 3, was 4.");
        Assert.AreEqual("Rank", rank.ParamName);
        var size = Assert.ThrowsExactly<PipelineOptionsException>(() => ImagePipeline.CreateBuilder(new PipelineOptions { WorldSize = 0 }).BuildStream());
        StringAssert.Contains(size.Message, "Parameter \"WorldSize\" must be between 1 and 1000000, was 0.");
    }

    [TestMethod]
    public async Task Build_LauncherVariables_SetTheOptionsOfThePipeline()
    {
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(new PipelineOptions { ReadLauncherEnvironment = true })
            .UseEnvironment(Env(("SLURM_PROCID", "2"), ("SLURM_NTASKS", "3"))).BuildStream();
        Assert.AreEqual((2, 3), (pipeline.Options.Rank, pipeline.Options.WorldSize));
    }

    [TestMethod]
    public async Task Build_LauncherVariablesIgnored_WhenReadLauncherEnvironmentIsOff()
    {
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(new PipelineOptions { ReadLauncherEnvironment = false })
            .UseEnvironment(Env(("RANK", "2"), ("WORLD_SIZE", "3"))).BuildStream();
        Assert.AreEqual((0, 1), (pipeline.Options.Rank, pipeline.Options.WorldSize));
    }

    [TestMethod]
    public void Options_Defaults_DoNotReadTheLauncherAndPad()
    {
        var options = new PipelineOptions();
        Assert.IsNull(options.Rank);
        Assert.IsNull(options.WorldSize);
        Assert.AreEqual(RemainderPolicy.Pad, options.Remainder);
        Assert.IsFalse(options.ReadLauncherEnvironment);
    }

    [TestMethod]
    public async Task Build_LauncherVariablesSetButNotAskedFor_EverySampleStreamedAndTheReportAndTheLogNameThem()
    {
        // A plain evaluation script inside an sbatch --ntasks=4 allocation: it reads the whole dataset, and says what it saw.
        using var data = new TempDataset().WithClasses(2, 6, 12, 10);
        var logger = new ListLogger();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(new PipelineOptions { Width = 8, Height = 8, BatchSize = 4 })
            .UseEnvironment(Env(("SLURM_PROCID", "1"), ("SLURM_NTASKS", "4"))).UseLogger(logger).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        Assert.AreEqual(12, pipeline.Report.Batched, "every sample");
        Assert.AreEqual(new RankAssignment(0, 1, "default"), pipeline.Report.Placement);
        Assert.AreEqual("SLURM_PROCID=1, SLURM_NTASKS=4", pipeline.Report.UnreadLauncherVariables);
        StringAssert.EndsWith(pipeline.Report.ToString(), "; launcher variables not read (SLURM_PROCID=1, SLURM_NTASKS=4): every sample of every epoch");
        LogEntry warning = logger.Entries.Single(e => e.Level == LogLevel.Warning);
        Assert.AreEqual(
            "Launcher variables are set but not read (SLURM_PROCID=1, SLURM_NTASKS=4): this process streams every sample of every epoch. For one part per process, set PipelineOptions.ReadLauncherEnvironment = true (or Rank and WorldSize).",
            warning.Message);
    }

    [TestMethod]
    public async Task Build_LauncherVariablesAskedFor_ThisRanksPartAndTheReportAndTheLogNameRankWorldSizeAndVariables()
    {
        using var data = new TempDataset().WithClasses(2, 6, 12, 10);
        var logger = new ListLogger();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(new PipelineOptions { Width = 8, Height = 8, BatchSize = 1, ReadLauncherEnvironment = true })
            .UseEnvironment(Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"))).UseLogger(logger).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        Assert.AreEqual(3, pipeline.Report.Batched, "a quarter of 12 samples");
        Assert.AreEqual(new RankAssignment(1, 4, "OMPI_COMM_WORLD_RANK=1, OMPI_COMM_WORLD_SIZE=4"), pipeline.Report.Placement);
        Assert.IsNull(pipeline.Report.UnreadLauncherVariables);
        StringAssert.EndsWith(pipeline.Report.ToString(), "; rank 1 of 4 (OMPI_COMM_WORLD_RANK=1, OMPI_COMM_WORLD_SIZE=4): this rank's part of every epoch");
        LogEntry sharded = logger.Entries.Single(e => e.Event.Name == "RunSharded");
        Assert.AreEqual((LogLevel.Information, "This process is rank 1 of 4 (OMPI_COMM_WORLD_RANK=1, OMPI_COMM_WORLD_SIZE=4): it streams its part of every epoch."),
            (sharded.Level, sharded.Message));
        Assert.IsFalse(logger.Entries.Any(e => e.Level >= LogLevel.Warning));
    }

    [TestMethod]
    public void Describe_LaunchersVariables_EverySetOneByNameAndValueOrNull()
    {
        Assert.IsNull(LauncherEnvironment.Describe(Env()));
        Assert.AreEqual("RANK=3, PMI_SIZE=2", LauncherEnvironment.Describe(Env(("PMI_SIZE", "2"), ("RANK", "3"), ("SLURM_NTASKS", " "))));
    }

    [TestMethod]
    public void Validate_UndefinedRemainder_NamesIt()
    {
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => new PipelineOptions { Remainder = (RemainderPolicy)7 }.Validate());
        StringAssert.Contains(e.Message, "Parameter \"Remainder\" must be one of Pad, Drop, Uneven, was 7.");
        Assert.AreEqual("Remainder", e.ParamName);
    }
}
