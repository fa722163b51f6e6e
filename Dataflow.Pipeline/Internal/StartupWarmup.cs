using System.Text.Json;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Diagnostics;
using OpenCvSharp;

namespace Dataflow.Pipeline.Internal;

/// <summary>
/// The one-time costs of a process's first pipeline, paid on a thread-pool thread while the caller configures and
/// builds it, instead of one after another on the way to the first batch: Dataflow's first block (its event source),
/// the meter's instruments, and OpenCV's first JPEG and PNG decodes and resize (the native library, the codecs, the
/// marshalling stubs). Started once per process, by the first builder.
/// </summary>
/// <remarks>
/// Nothing here is kept, and a failure is ignored: the same work runs again where the pipeline needs it and reports
/// its error there (a missing native library fails the first decode, naming it, as it would without this).
/// docs/performance.md has the figures, and what was tried beyond this.
/// </remarks>
internal static class StartupWarmup
{
    private static int _started;
    private static int _jsonStarted;

    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => Run(), null);
        }
    }

    /// <summary>
    /// The JSON reader's one-time set-up (its search tables and vector code, about 10 ms in a fresh process), for a
    /// source whose discovery reads a JSON index. Started once per process.
    /// </summary>
    public static void StartJson()
    {
        if (Interlocked.Exchange(ref _jsonStarted, 1) == 0)
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
