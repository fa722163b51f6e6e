using Dataflow.Pipeline.Batching;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>What a trainer callback saw: copies of every batch, made before the pipeline reclaimed them.</summary>
internal sealed record SeenBatch(int Epoch, int Index, int[] Shape, float[] Data, int[] Labels, float[] OneHot, string[] Paths, int[] SampleIndices)
{
    public static SeenBatch Copy(Batch b) => new(b.Epoch, b.Index, [.. b.Shape], b.Data.ToArray(), [.. b.Labels], [.. b.OneHot], [.. b.Paths], [.. b.SampleIndices]);
}

internal static class PipelineRunner
{
    /// <summary>Builds a pipeline with <paramref name="options"/>, posts the roots, runs it to the end and returns the batches.</summary>
    public static async Task<(List<SeenBatch> Batches, ImagePipeline Pipeline)> RunAsync(PipelineOptions options, params string[] roots)
    {
        var seen = new List<SeenBatch>();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).Build(b => seen.Add(SeenBatch.Copy(b)));
        foreach (string root in roots)
        {
            Assert.IsTrue(pipeline.Post(root));
        }

        pipeline.Complete();
        await pipeline.Completion;
        AssertNothingHeld(pipeline);
        return (seen, pipeline);
    }

    /// <summary>The same batches, in the same order: position, pixels bit for bit, labels and paths.</summary>
    public static void AssertSameBatches(IReadOnlyList<SeenBatch> expected, IReadOnlyList<SeenBatch> actual, string what = "")
    {
        Assert.HasCount(expected.Count, actual, what);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual((expected[i].Epoch, expected[i].Index), (actual[i].Epoch, actual[i].Index), $"{what} batch {i}");
            CollectionAssert.AreEqual(expected[i].Data, actual[i].Data, $"{what} batch {i}");
            CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels, $"{what} batch {i}");
            CollectionAssert.AreEqual(expected[i].Paths, actual[i].Paths, $"{what} batch {i}");
        }
    }

    /// <summary>Every Mat, byte buffer and tensor the run rented is back.</summary>
    public static void AssertNothingHeld(ImagePipeline pipeline)
    {
        Assert.AreEqual(0, pipeline.Images.LiveMats, "live Mats");
        Assert.AreEqual(0, pipeline.Images.LiveSamples, "samples holding image data");
        Assert.AreEqual(0, pipeline.Buffers.Outstanding, "rented byte buffers");
        Assert.AreEqual(0, pipeline.Tensors.Outstanding, "rented batch tensors");
    }
}
