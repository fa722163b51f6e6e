using System.Diagnostics;
using Dataflow.Pipeline;

namespace Dataflow.Tools.Soak;

/// <summary>
/// Measures how long a cancelled run takes to end: from <see cref="ImagePipeline.Cancel"/> to the end of
/// <see cref="ImagePipeline.Completion"/> (every Mat, buffer and tensor returned), while batches flow and while
/// every block is full behind a trainer that holds its batch until cancelled.
/// </summary>
internal static class CancellationProbe
{
    /// <summary>One cancelled run: how, after how many batches, and how long the run took to end.</summary>
    public sealed record Sample(string Mode, int AfterBatches, double Milliseconds, bool Released);

    /// <summary>Runs <paramref name="runs"/> cancelled runs over <paramref name="root"/>, alternating the two modes.</summary>
    public static async Task<List<Sample>> MeasureAsync(string root, PipelineOptions options, int runs, long seed)
    {
        var random = new Random(unchecked((int)seed) ^ 0xCA11);
        var samples = new List<Sample>();
        for (int i = 0; i < runs; i++)
        {
            bool full = i % 2 == 1;
            int after = random.Next(1, 20);
            long cancelledAt = 0;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int batches = 0;
            await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options with { Epochs = 1000 }).Build(async (_, ct) =>
            {
                if (++batches == after)
                {
                    reached.TrySetResult();
                    if (full)
                    {
                        // Hold this batch: the blocks fill up behind it until the run is cancelled.
                        await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                    }
                }
            });
            pipeline.Post(root);
            pipeline.Complete();
            await reached.Task.ConfigureAwait(false);
            if (full)
            {
                // Give the graph time to fill behind the held batch (a benchmark may wait; a test would not).
                await Task.Delay(500).ConfigureAwait(false);
            }

            cancelledAt = Stopwatch.GetTimestamp();
            pipeline.Cancel();
            try
            {
                await pipeline.Completion.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            double ms = Stopwatch.GetElapsedTime(cancelledAt).TotalMilliseconds;
            bool released = pipeline.Images.LiveMats == 0 && pipeline.Buffers.Outstanding == 0 && pipeline.Tensors.Outstanding == 0;
            samples.Add(new Sample(full ? "every block full" : "batches flowing", after, ms, released));
        }

        return samples;
    }
}
