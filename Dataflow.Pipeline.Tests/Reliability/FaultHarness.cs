using System.Collections.Concurrent;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>The outcome of one run: what the trainer saw, the pipeline, and the exception Completion ended with (if any).</summary>
internal sealed record FaultRun(List<SeenBatch> Batches, ImagePipeline Pipeline, Exception? Error)
{
    public PipelineReport Report => Pipeline.Report;

    /// <summary>The single skip entry for <paramref name="path"/> in epoch 0.</summary>
    public SkippedSample SkippedOnce(string path)
    {
        SkippedSample[] found = [.. Report.Skipped.Where(s => s.Path == path && s.Epoch == 0)];
        Assert.HasCount(1, found, $"skip entries for '{path}' in epoch 0; report: {Report}; skipped: {string.Join(" | ", Report.Skipped)}");
        return found[0];
    }

    /// <summary>The batch row that came from <paramref name="path"/> in epoch 0.</summary>
    public float[] RowOf(string path)
    {
        foreach (SeenBatch b in Batches.Where(b => b.Epoch == 0))
        {
            int row = Array.IndexOf(b.Paths, path);
            if (row >= 0)
            {
                int length = b.Data.Length / b.Labels.Length;
                return b.Data.AsSpan(row * length, length).ToArray();
            }
        }

        Assert.Fail($"'{path}' reached no batch; report: {Report}; skipped: {string.Join(" | ", Report.Skipped)}");
        return [];
    }
}

/// <summary>
/// Runs pipelines the way the reliability tests need: every wait has a generous guard (a hang fails the
/// test, no timing is asserted), every run ends with the memory counters checked, and every test body
/// runs under a watch for unobserved task exceptions.
/// </summary>
internal static class FaultHarness
{
    /// <summary>The longest any run or wait may take before the test counts it as hung.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>Small, fast options: <paramref name="width"/>×<paramref name="height"/> RGB, batches of 4, no shuffle, small blocks.</summary>
    public static PipelineOptions Small(ErrorPolicy policy = ErrorPolicy.SkipAndReport, int epochs = 2, int width = 16, int height = 12,
        bool acceptTruncatedJpeg = false, bool honorExifOrientation = true, long maxImagePixels = 178_956_970) => new()
    {
        Width = width,
        Height = height,
        BatchSize = 4,
        Epochs = epochs,
        Shuffle = false,
        ShuffleWithinBatch = false,
        ErrorPolicy = policy,
        AcceptTruncatedJpeg = acceptTruncatedJpeg,
        HonorExifOrientation = honorExifOrientation,
        MaxImagePixels = maxImagePixels,
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 4),
        Normalize = new StageOptions(2, 4),
    };

    /// <summary>
    /// Builds a pipeline (with <paramref name="configure"/> applied to the builder), posts <paramref name="roots"/>,
    /// runs it to the end with a trainer that copies every batch, and checks that nothing is held afterwards.
    /// </summary>
    public static async Task<FaultRun> RunAsync(PipelineOptions options, string[] roots, Func<ImagePipelineBuilder, ImagePipelineBuilder>? configure = null)
    {
        var seen = new ConcurrentQueue<SeenBatch>();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        ImagePipeline pipeline = (configure?.Invoke(builder) ?? builder).Build(b => seen.Enqueue(SeenBatch.Copy(b)));
        foreach (string root in roots)
        {
            Assert.IsTrue(pipeline.Post(root));
        }

        pipeline.Complete();
        Exception? error = await CompletionOf(pipeline);
        PipelineRunner.AssertNothingHeld(pipeline);
        return new FaultRun([.. seen], pipeline, error);
    }

    /// <summary>Runs over one root; see <see cref="RunAsync(PipelineOptions, string[], Func{ImagePipelineBuilder, ImagePipelineBuilder}?)"/>.</summary>
    public static Task<FaultRun> RunAsync(PipelineOptions options, string root, Func<ImagePipelineBuilder, ImagePipelineBuilder>? configure = null) =>
        RunAsync(options, [root], configure);

    /// <summary>Waits (guarded) for the pipeline to end and returns the exception it ended with, or null.</summary>
    public static async Task<Exception?> CompletionOf(ImagePipeline pipeline)
    {
        try
        {
            await pipeline.Completion.WaitAsync(Guard);
            return null;
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The run did not end within {Guard.TotalSeconds} s; report: {pipeline.Report}");
            throw;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>A run that finished: no error, the counts add up, and add up in every epoch.</summary>
    public static void AssertFinishedAndAccounted(FaultRun run)
    {
        Assert.IsNull(run.Error, $"the run should finish; it ended with {run.Error}");
        AssertAccounted(run);
    }

    /// <summary>For every epoch: selected = batched + skipped + dropped-last; and the report's totals agree with what the trainer saw.</summary>
    public static void AssertAccounted(FaultRun run)
    {
        PipelineReport report = run.Report;
        Assert.IsTrue(report.CountsAddUp, report.ToString());
        Assert.AreEqual(report.Batched, run.Batches.Sum(b => (long)b.Labels.Length), "rows the trainer saw");
        long droppedPerEpoch = report.DroppedLast / report.Epochs;
        for (int epoch = 0; epoch < report.Epochs; epoch++)
        {
            int batched = run.Batches.Where(b => b.Epoch == epoch).Sum(b => b.Labels.Length);
            int skipped = report.Skipped.Count(s => s.Epoch == epoch);
            Assert.AreEqual(report.Selected, batched + skipped + droppedPerEpoch, $"epoch {epoch}: selected = batched {batched} + skipped {skipped} + dropped {droppedPerEpoch}");
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>, then collects garbage so that any task whose exception nobody observed is
    /// finalized, and fails if one of them concerns this test (its text contains <paramref name="marker"/>,
    /// e.g. the test's dataset root, which every path and every exception of the test's own names).
    /// </summary>
    public static async Task WithoutUnobservedExceptionsAsync(string marker, Func<Task> body)
    {
        var unobserved = new ConcurrentQueue<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            await RunAndForget(body);
            for (int i = 0; i < 2; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }

        Exception[] ours = [.. unobserved.Where(e => e.ToString().Contains(marker, StringComparison.Ordinal))];
        Assert.IsEmpty(ours, "unobserved task exceptions: " + string.Join(Environment.NewLine, ours.Select(e => e.ToString())));
    }

    // A separate frame, so that nothing the body created stays reachable from the caller while it collects.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Task RunAndForget(Func<Task> body) => body();

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test if it does not within <see cref="Guard"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (!condition())
        {
            try
            {
                await Task.Delay(5, guard.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Waited {Guard.TotalSeconds} s for {what}.");
            }
        }
    }
}
