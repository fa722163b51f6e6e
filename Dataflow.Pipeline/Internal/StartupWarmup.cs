using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Diagnostics;
using Dataflow.Pipeline.Discovery;
using OpenCvSharp;

namespace Dataflow.Pipeline.Internal;

/// <summary>
/// The one-time costs of a process's first pipeline, paid on thread-pool threads beside the caller instead of one
/// after another on the way to the first batch. Each runs once per process:
/// <list type="bullet">
/// <item>from the first builder (<see cref="Start"/>): Dataflow's first block (its event source), the meter's
/// instruments, and OpenCV's first JPEG and PNG decodes and resize (the native library, the codecs, the marshalling
/// stubs);</item>
/// <item>when a shard source that reads an index is created (<see cref="StartJson"/>): the JSON reader's set-up;</item>
/// <item>once the first pipeline is built (<see cref="StartSamplePath"/>): one synthetic sample through a tiny pipeline of
/// the same pixel format, normalization, layout and output, so that the per-sample path (read, decode, normalize,
/// assemble, hand-over) is loaded and compiled while the built pipeline discovers its dataset. It records to a meter of
/// its own (<c>Dataflow.Pipeline.WarmUp</c>), never to the pipeline's.</item>
/// </list>
/// </summary>
/// <remarks>
/// The process's exit waits for a warm-up that is still running (its native decode must not outlive the native
/// libraries). Nothing here is kept, and a failure is ignored: the same work runs again where the pipeline needs it and reports
/// its error there (a missing native library fails the first decode, naming it, as it would without this). In a
/// native AOT process nothing is compiled at run time, so the JSON and per-sample warm-ups, which are there to compile
/// code, do not run (they only took a core from the first batch: docs/dev/performance-log.md, "Fifth pass").
/// docs/dev/performance-log.md has the figures, and what was tried beyond this.
/// </remarks>
internal static class StartupWarmup
{
    /// <summary>How long the process's exit waits for a warm-up still running (each takes milliseconds; the bound only
    /// keeps one that is stuck from holding the exit).</summary>
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);

    private static readonly List<Task> Running = [];
    private static int _started;
    private static int _jsonStarted;
    private static int _sampleStarted;

    /// <summary>Dataflow's first block, the meter's instruments and OpenCV's first decodes. Started once per process.</summary>
    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            KeepProcessUntil(done.Task);
            ThreadPool.UnsafeQueueUserWorkItem(static d =>
            {
                try
                {
                    Run();
                }
                finally
                {
                    ((TaskCompletionSource)d!).SetResult();
                }
            }, done);
        }
    }

    /// <summary>
    /// The JSON reader's one-time set-up (its search tables and vector code, about 10 ms in a fresh process), for a
    /// source whose discovery reads a JSON index. Started once per process.
    /// </summary>
    public static void StartJson()
    {
        if (RuntimeFeature.IsDynamicCodeSupported && Interlocked.Exchange(ref _jsonStarted, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => RunJson(), null);
        }
    }

    private static void RunJson()
    {
        try
        {
            var reader = new Utf8JsonReader("""{"warm":[{"up":"\u0041","n":-1.5e3,"t":true,"z":null}]}"""u8);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.String)
                {
                    _ = reader.GetString();
                }
                else if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    _ = reader.ValueTextEquals("up"u8);
                }
            }
        }
        catch (Exception)
        {
            // As above: nothing depends on it.
        }
    }

    /// <summary>
    /// Once the first pipeline is built: one synthetic sample through a tiny pipeline of the same pixel format, output
    /// and layout (read, decode, normalize, assemble, hand-over), while the built pipeline discovers its dataset.
    /// </summary>
    public static void StartSamplePath(PipelineOptions like)
    {
        if (RuntimeFeature.IsDynamicCodeSupported && Interlocked.Exchange(ref _sampleStarted, 1) == 0)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            KeepProcessUntil(done.Task);
            ThreadPool.UnsafeQueueUserWorkItem(static state =>
            {
                (PipelineOptions options, TaskCompletionSource d) = ((PipelineOptions, TaskCompletionSource))state!;
                // It never faults (it catches everything); registered before it starts, so its first native call is covered.
                _ = RunSamplePathAsync(options).ContinueWith(static (_, o) => ((TaskCompletionSource)o!).SetResult(), d, CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }, (like, done));
        }
    }

    /// <summary>Runs the tiny pipeline; its report, or null when it could not run (nothing depends on it).</summary>
    internal static async Task<PipelineReport?> RunSamplePathAsync(PipelineOptions like)
    {
        // Its own build must not start another.
        Interlocked.Exchange(ref _sampleStarted, 1);
        try
        {
            using var image = new Mat(16, 16, MatType.CV_8UC3, Scalar.All(128));
            Cv2.ImEncode(".jpg", image, out byte[] jpeg);
            var options = new PipelineOptions
            {
                Width = 8, Height = 8, BatchSize = 1, ReadLauncherEnvironment = false, ColorMode = like.ColorMode,
                Normalization = like.Normalization, Layout = like.Layout, Output = like.Output,
            };
            var source = new InMemorySampleSource(["warm-up"], [("warm-up.jpg", 0, jpeg)]);
            ImagePipeline pipeline = new ImagePipelineBuilder(options).UseSource(source).UseMeterFactory(new PrivateMeters())
                .Build(static _ => { });
            pipeline.Post("warm-up");
            pipeline.Complete();
            await pipeline.Completion.ConfigureAwait(false);
            return pipeline.Report;
        }
        catch (Exception)
        {
            // As above: nothing depends on it.
            return null;
        }
    }

    /// <summary>
    /// Makes the process's exit wait for <paramref name="warmup"/>. A warm-up decodes with OpenCV on a pool thread; a
    /// process that ends while it runs (a command that fails at once, before or just after its build) would run the
    /// native libraries' exit handlers, which free OpenCV's codec tables, under that decode: a SIGSEGV instead of the
    /// process's own exit code. <see cref="AppDomain.ProcessExit"/> is raised before those handlers, on a return from
    /// <c>Main</c> and on <see cref="Environment.Exit"/> alike.
    /// </summary>
    private static void KeepProcessUntil(Task warmup)
    {
        lock (Running)
        {
            if (Running.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += static (_, _) => WaitForRunning();
            }

            Running.Add(warmup);
        }
    }

    /// <summary>Waits (up to the exit's bound) for every warm-up started so far; true when all have ended.</summary>
    internal static bool WaitForRunning()
    {
        Task[] running;
        lock (Running)
        {
            running = [.. Running];
        }

        return Task.WhenAll(running).Wait(ExitWait);
    }

    /// <summary>The tiny pipeline's meter: its own name, so that nothing listening to the pipeline's meter hears it.</summary>
    private sealed class PrivateMeters : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new("Dataflow.Pipeline.WarmUp");

        public void Dispose()
        {
        }
    }

    private static void Run()
    {
        try
        {
            _ = new BufferBlock<string>();
            _ = PipelineMetrics.For(null);
            var decoder = new ImageDecoder(4, 4);
            using var image = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(128));
            foreach (string format in (string[])[".jpg", ".png"])
            {
                Cv2.ImEncode(format, image, out byte[] encoded);
                using Mat decoded = decoder.Decode(encoded, "warm-up");
            }
        }
        catch (Exception)
        {
            // Paid again, and reported, where the run needs it.
        }
    }
}
