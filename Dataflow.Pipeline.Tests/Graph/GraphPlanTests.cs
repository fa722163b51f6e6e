using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Caching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Graph;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Graph;

/// <summary>
/// The graph of a run is decided once, as data, by a pure function of the options, the source's capabilities and the
/// user's stages: these tables pin every decision, and a real run checks that the graph built is the one planned.
/// </summary>
[TestClass]
public sealed class GraphPlanTests
{
    private static readonly SourceCapabilities LocalFiles = new(ReadsOnCallingThread: true, CanStream: false);
    private static readonly SourceCapabilities ObjectStore = new(ReadsOnCallingThread: false, CanStream: false);
    private static readonly SourceCapabilities LocalShards = new(ReadsOnCallingThread: true, CanStream: true);
    private static readonly SourceCapabilities RemoteShards = new(ReadsOnCallingThread: false, CanStream: true);

    private static PipelineOptions Photos() => new()
    {
        Width = 224,
        Height = 224,
        BatchSize = 32,
        Read = new StageOptions(4, 8),
        Decode = new StageOptions(2, 16),
    };

    private static PipelineOptions Digits() => Photos() with { Width = 20, Height = 20, ColorMode = ColorMode.Grayscale };

    public static IEnumerable<object[]> ShapeTable =>
    [
        // name, options, source, user stages, shape, chunk, read mode
        ["photos, local files", Photos(), LocalFiles, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.OnCallingThread],
        ["digits, local files", Digits(), LocalFiles, Array.Empty<StagePosition>(), GraphShape.Chunked, 16, ReadMode.OnCallingThread],
        ["digits, object store", Digits(), ObjectStore, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.Asynchronous],
        ["digits, local shards", Digits(), LocalShards, Array.Empty<StagePosition>(), GraphShape.Chunked, 16, ReadMode.OnCallingThread],
        ["photos, local shards", Photos(), LocalShards, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.Streamed],
        ["photos, remote shards", Photos(), RemoteShards, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.Streamed],
        ["photos, remote shards, cache", Photos() with { Cache = new DecodedImageCacheOptions() }, RemoteShards, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.Asynchronous],
        ["photos, local shards, cache", Photos() with { Cache = new DecodedImageCacheOptions() }, LocalShards, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.OnCallingThread],
        ["digits, user stage after read", Digits(), LocalFiles, new[] { StagePosition.AfterRead }, GraphShape.Fused, 1, ReadMode.OnCallingThread],
        ["digits, user stage after decode", Digits(), LocalFiles, new[] { StagePosition.AfterDecode }, GraphShape.Split, 1, ReadMode.OnCallingThread],
        ["photos, user stage after augment", Photos(), ObjectStore, new[] { StagePosition.AfterRead, StagePosition.AfterAugment }, GraphShape.Split, 1, ReadMode.Asynchronous],
        ["digits, batch 8 on 2 decoders", Digits() with { BatchSize = 8 }, LocalFiles, Array.Empty<StagePosition>(), GraphShape.Chunked, 4, ReadMode.OnCallingThread],
        ["digits, batch 6 on 2 decoders", Digits() with { BatchSize = 6 }, LocalFiles, Array.Empty<StagePosition>(), GraphShape.Fused, 1, ReadMode.OnCallingThread],
    ];

    [TestMethod]
    [DynamicData(nameof(ShapeTable))]
    public void Decide_Table_ShapeChunkAndReadMode(string name, PipelineOptions options, object source, StagePosition[] stages,
        object shape, int chunk, object read)
    {
        // The plan's types are internal: the table passes them as objects.
        GraphPlan plan = GraphPlan.Decide(options, (SourceCapabilities)source, stages);

        Assert.AreEqual((GraphShape)shape, plan.Shape, name);
        Assert.AreEqual(chunk, plan.ChunkSize, name);
        Assert.AreEqual((ReadMode)read, plan.Read, name);
        Assert.AreEqual(options.Cache is not null, plan.Cached, name);
    }

    [TestMethod]
    public void Decide_EachShape_TheStageOptionsItsBlocksRunWith()
    {
        PipelineOptions options = Digits() with
        {
            Read = new StageOptions(8, 16),
            Decode = new StageOptions(2, 16),
            Augment = new StageOptions(3, 6),
            Normalize = new StageOptions(5, 10),
            Augmentations = [new RandomHorizontalFlip()],
        };

        GraphPlan chunked = GraphPlan.Decide(options, LocalFiles, []);
        Assert.AreEqual(new StageOptions(2, 16), chunked.ReadStage, "a chunk's reads: as many readers as decoders");
        Assert.AreEqual(options.Decode, chunked.DecodeStage);
        Assert.IsNull(chunked.AugmentStage);
        Assert.IsNull(chunked.NormalizeStage);
        CollectionAssert.AreEqual(new[] { "Augment", "Normalize" }, chunked.Unused.ToArray());

        GraphPlan fused = GraphPlan.Decide(options, ObjectStore, []);
        Assert.AreEqual(options.Read, fused.ReadStage);
        Assert.AreEqual(options.Decode, fused.DecodeStage);
        Assert.IsNull(fused.AugmentStage);
        Assert.IsNull(fused.NormalizeStage);
        CollectionAssert.AreEqual(new[] { "Augment", "Normalize" }, fused.Unused.ToArray());
        StringAssert.Contains(fused.Describe([]), "Augment and Normalize stage options not used by this shape");

        GraphPlan split = GraphPlan.Decide(options, LocalFiles, [StagePosition.AfterDecode]);
        Assert.AreEqual(options.Read, split.ReadStage);
        Assert.AreEqual(options.Augment, split.AugmentStage);
        Assert.AreEqual(options.Normalize, split.NormalizeStage);
        Assert.IsEmpty(split.Unused);
    }

    [TestMethod]
    public void Decide_DefaultStageOptions_NothingReportedUnused()
    {
        GraphPlan plan = GraphPlan.Decide(new PipelineOptions(), LocalFiles, []);

        Assert.IsEmpty(plan.Unused);
    }

    [TestMethod]
    public void Decide_SplitWithoutAugmentations_NoAugmentBlock()
    {
        PipelineOptions options = Photos() with { Augmentations = [new RandomResizedCrop()], Augment = new StageOptions(3, 6) };

        GraphPlan plan = GraphPlan.Decide(options, LocalFiles, [StagePosition.AfterDecode]);

        Assert.IsInstanceOfType<RandomResizedCrop>(plan.SourceCrop, "the first crop runs inside decode, fused with the resize");
        Assert.IsNull(plan.AugmentStage, "nothing is left for an augment block");
        CollectionAssert.AreEqual(new[] { "Augment" }, plan.Unused.ToArray());
    }

    [TestMethod]
    public void Decide_PixelOrder_SwappedInTheNormalizerOnlyWhenFusedRgbNchwAndEveryAugmentationAllowsIt()
    {
        PipelineOptions rgb = Photos() with { Augmentations = [new RandomHorizontalFlip()] };

        Assert.AreEqual(new PixelOrder(ColorMode.Bgr, SwapInNormalizer: true), GraphPlan.Decide(rgb, LocalFiles, []).Pixels);
        Assert.AreEqual(new PixelOrder(ColorMode.Rgb, SwapInNormalizer: false), GraphPlan.Decide(rgb, LocalFiles, [StagePosition.AfterDecode]).Pixels, "split");
        Assert.AreEqual(new PixelOrder(ColorMode.Rgb, SwapInNormalizer: false), GraphPlan.Decide(rgb with { Layout = TensorLayout.Nhwc }, LocalFiles, []).Pixels, "NHWC");
        Assert.AreEqual(new PixelOrder(ColorMode.Bgr, SwapInNormalizer: false), GraphPlan.Decide(rgb with { ColorMode = ColorMode.Bgr }, LocalFiles, []).Pixels, "BGR");
        Assert.AreEqual(new PixelOrder(ColorMode.Rgb, SwapInNormalizer: false), GraphPlan.Decide(rgb with { Augmentations = [new RandomHorizontalFlip(), new ReadsChannels()] }, LocalFiles, []).Pixels, "an augmentation that reads the channels as RGB");
    }

    [TestMethod]
    public void Decide_SameInputs_SamePlan()
    {
        PipelineOptions options = Photos() with { Augmentations = [new RandomResizedCrop(), new RandomHorizontalFlip()] };

        Assert.AreEqual(GraphPlan.Decide(options, LocalShards, []).Describe([]), GraphPlan.Decide(options, LocalShards, []).Describe([]));
    }

    [TestMethod]
    [DataRow(20, 20, "chunked by 13: read ×2 → decode-augment-normalize ×2 → regroup → assemble → deliver; reads on the calling thread")]
    [DataRow(64, 64, "fused: read ×4 → decode-augment-normalize ×2 → batch → assemble → deliver; reads on the calling thread")]
    public async Task Run_RealGraph_ReportsThePlannedGraph(int width, int height, string expected)
    {
        using var data = new TempDataset().WithClasses(2, 20, 40, 30);
        PipelineOptions options = Photos() with { Width = width, Height = height, Epochs = 1 };

        var (batches, pipeline) = await PipelineRunner.RunAsync(options, data.Root);

        Assert.AreEqual(expected, pipeline.Report.Graph);
        Assert.AreEqual(GraphPlan.Decide(options, LocalFiles, []).ChunkSize, pipeline.SamplesPerMessage);
        Assert.AreEqual(40, batches.Sum(b => b.Labels.Length));
    }

    [TestMethod]
    public async Task Run_UserStageAfterDecode_SplitGraphWithEveryBlockNamed()
    {
        using var data = new TempDataset().WithClasses(2, 6, 40, 30);
        PipelineOptions options = Photos() with { Width = 32, Height = 24, Epochs = 1, BatchSize = 4, Augmentations = [new RandomHorizontalFlip()], Augment = new StageOptions(1, 2), Normalize = new StageOptions(1, 2) };
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).AddStage(StagePosition.AfterDecode, "inspect", _ => { }).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        Assert.AreEqual("split: read ×4 → decode ×2 → augment ×1 → normalize ×1 → batch → assemble → deliver (user stages: inspect); reads on the calling thread", pipeline.Report.Graph);
        CollectionAssert.AreEqual(new[] { "read", "decode", "inspect", "augment", "normalize", "batch", "assemble", "deliver" }, pipeline.Blocks.Select(b => b.ToString()!.Split(' ')[0]).ToArray());
    }

    /// <summary>A user augmentation that does not declare it handles either channel order.</summary>
    private sealed class ReadsChannels : IAugmentation
    {
        public OpenCvSharp.Mat Apply(OpenCvSharp.Mat image, AugmentationContext context) => image;
    }
}
