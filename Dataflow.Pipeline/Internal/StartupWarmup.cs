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

    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => Run(), null);
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
