using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Discovery;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Tools.Soak;

/// <summary>
/// The <c>soak</c> command: many epochs over a dataset sprinkled with corrupt files, printing the process's
/// resident memory (now and peak) after every epoch, to show that it stays flat: nothing accumulates per
/// epoch, per image or per skipped file. A benchmark, not a test: it reports, and fails only if the run
/// does not account for every file or leaves pooled memory behind.
/// </summary>
public static class SoakCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var data = new Option<string?>("--data") { Description = "Dataset root (one sub-folder per class); without it, a generated dataset sprinkled with corrupt files" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs to run", DefaultValueFactory = _ => 20 };
        var images = new Option<int>("--images") { Description = "Files in the generated dataset", DefaultValueFactory = _ => 1000 };
        var classes = new Option<int>("--classes") { Description = "Class folders in the generated dataset", DefaultValueFactory = _ => 10 };
        var corruptEvery = new Option<int>("--corrupt-every") { Description = "Every n-th generated file is corrupt (0: none)", DefaultValueFactory = _ => 20 };
        var size = new Option<int>("--size") { Description = "Target width and height", DefaultValueFactory = _ => 128 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per batch", DefaultValueFactory = _ => 32 };
        var seed = new Option<long>("--seed") { Description = "Seed of the generated dataset and of the run", DefaultValueFactory = _ => 0 };
        var cancellations = new Option<int>("--cancellations") { Description = "Cancelled runs to time afterwards (Cancel() to the end of Completion)", DefaultValueFactory = _ => 10 };
        var json = JsonOption.Create();
        cancellations.InRange(0, 1000);
        images.InRange(2, 10_000_000);
        classes.InRange(1, 10_000);
        corruptEvery.Require<Option<int>, int>(v => v == 0 || v >= 2, "must be 0 (none) or at least 2");
        var command = new Command("soak", "Run many epochs over a dataset with corrupt files and print resident memory per epoch")
        {
            data, epochs, images, classes, corruptEvery, size, batchSize, seed, cancellations, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(environment,
            parse.GetValue(data) is string folder ? FolderOption.Require(folder, "--data") : null, parse.GetValue(epochs), parse.GetValue(images), parse.GetValue(classes), parse.GetValue(corruptEvery),
            parse.GetValue(size), parse.GetValue(batchSize), parse.GetValue(seed), parse.GetValue(cancellations), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CommandEnvironment environment, string? data, int epochs, int images, int classes, int corruptEvery, int size, int batchSize, long seed,
        int cancellations, bool json, CancellationToken cancellationToken)
    {
        if (images < classes)
        {
            throw new UsageException($"--images must be at least --classes ({classes}), was {images}.");
        }

        string? generated = null;
        string root = data ?? (generated = Path.Combine(Path.GetTempPath(), $"dataflow-soak-{Guid.NewGuid():N}"));

        // The library's ranges, each failure naming its flag, before a dataset is generated.
        var settings = new PipelineSettings
        {
            Size = new ImageSize(size, size),
            BatchSize = batchSize,
            Epochs = epochs,
            Seed = seed,
            ErrorPolicy = ErrorPolicy.SkipAndReport,
        };
        PipelineOptions options = settings.For(Subset.Training);
        LibraryOptionFailures.Check(options, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [nameof(PipelineOptions.Width)] = "--size",
            [nameof(PipelineOptions.Height)] = "--size",
            [nameof(PipelineOptions.BatchSize)] = "--batch-size",
            [nameof(PipelineOptions.Epochs)] = "--epochs",
        });
        try
        {
            int corrupt = 0;
            if (generated is not null)
            {
                corrupt = SoakDataset.Generate(generated, images, classes, corruptEvery, seed);
                if (!json)
                {
                    environment.Console.MarkupLineInterpolated($"[grey]generated {images} files ({corrupt} corrupt) in {generated}[/]");
                }
            }

            return await SoakAsync(environment, root, options, generated is null ? null : corrupt, cancellations, json, cancellationToken);
        }
        finally
        {
            if (generated is not null && Directory.Exists(generated))
            {
                Directory.Delete(generated, recursive: true);
            }
        }
    }

    private static async Task<int> SoakAsync(CommandEnvironment environment, string root, PipelineOptions options, int? corrupt, int cancellations,
        bool json, CancellationToken cancellationToken)
    {
        var rows = new List<SoakEpoch>();
        var clock = Stopwatch.StartNew();
        ImagePipeline? pipeline = null;
        int epoch = 0;
        long imagesInEpoch = 0;
        double checksum = 0;

        void EndEpoch()
        {
            PipelineReport report = pipeline!.Report;
            ResidentMemory memory = ResidentMemory.Read();
            int skipped = report.Skipped.Count(s => s.Epoch == epoch);
            double seconds = clock.Elapsed.TotalSeconds;

            // After the resident-memory reading: what the managed heap still holds once garbage is collected.
            double retained = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
            rows.Add(new SoakEpoch(epoch + 1, imagesInEpoch, skipped, seconds, memory.CurrentMiB, memory.PeakMiB,
                retained, pipeline.Tensors.Allocated, pipeline.Images.LiveMats, pipeline.Buffers.Outstanding));
            if (!json)
            {
                SoakEpoch r = rows[^1];
                environment.Console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"epoch {r.Epoch,3}: {r.Images} images, {r.Skipped} skipped, {r.ImagesPerSecond,6:F0} images/s, RSS {r.RssMiB,7:F1} MiB, peak RSS {r.PeakRssMiB,7:F1} MiB, managed after GC {r.ManagedMiB,5:F1} MiB, tensors allocated {r.TensorsAllocated}");
            }

            imagesInEpoch = 0;
            clock.Restart();
        }

        await using (pipeline = ImagePipeline.CreateBuilder(options).Build(batch =>
        {
            if (batch.Epoch != epoch)
            {
                EndEpoch();
                epoch = batch.Epoch;
            }

            // Read every float, as a trainer copying the batch to a device would.
            float sum = 0;
            foreach (float v in batch.Data)
            {
                sum += v;
            }

            checksum += sum;
            imagesInEpoch += batch.Count;
        }, cancellationToken))
        {
            pipeline.Post(root);
            pipeline.Complete();
            await pipeline.Completion;
            EndEpoch();
        }

        List<CancellationProbe.Sample> cancelled = await CancellationProbe.MeasureAsync(root, options, cancellations, options.Seed);
        PipelineReport final = pipeline.Report;
        bool released = pipeline.Images.LiveMats == 0 && pipeline.Images.LiveSamples == 0 && pipeline.Buffers.Outstanding == 0 && pipeline.Tensors.Outstanding == 0;
        bool accounted = final.CountsAddUp;
        SoakEpoch second = rows[Math.Min(1, rows.Count - 1)], last = rows[^1];
        var summary = new
        {
            root,
            final.Discovered,
            corruptGenerated = corrupt,
            skippedPerEpoch = final.Skipped.Count / Math.Max(1, final.Epochs),
            epochs = final.Epochs,
            options.Width,
            options.Height,
            options.BatchSize,
            rssAfterSecondEpochMiB = second.RssMiB,
            rssAfterLastEpochMiB = last.RssMiB,
            rssDriftMiB = last.RssMiB - second.RssMiB,
            peakRssMiB = rows.Max(r => r.PeakRssMiB),
            tensorsAllocated = last.TensorsAllocated,
            tensorsPeakOutstanding = pipeline.Tensors.Peak,
            tensorMiB = 4.0 * options.BatchSize * options.Width * options.Height * 3 / 1048576.0,
            countsAddUp = accounted,
            everythingReturned = released && cancelled.All(c => c.Released),
            cancelToEndMsMedian = Median(cancelled.Select(c => c.Milliseconds)),
            cancelToEndMsMax = cancelled.Count == 0 ? (double?)null : cancelled.Max(c => c.Milliseconds),
            checksum,
        };
        if (json)
        {
            Json.Write(environment.Out, new { summary, epochs = rows, cancellations = cancelled });
        }
        else
        {
            environment.Console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"[bold]{final}[/]\nRSS after epoch 2: {summary.rssAfterSecondEpochMiB:F1} MiB, after epoch {last.Epoch}: {summary.rssAfterLastEpochMiB:F1} MiB (drift {summary.rssDriftMiB:+0.0;-0.0} MiB); peak {summary.peakRssMiB:F1} MiB; batch tensors allocated {summary.tensorsAllocated} of {summary.tensorMiB:F1} MiB each (peak in use {summary.tensorsPeakOutstanding}); counts add up: {accounted}; every Mat, buffer and tensor returned: {released}");
        }

        foreach (var mode in cancelled.GroupBy(c => c.Mode))
        {
            if (!json)
            {
                environment.Console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"cancelled with {mode.Key}: {mode.Count()} runs, Cancel() to the end of Completion: median {Median(mode.Select(c => c.Milliseconds)):F1} ms, max {mode.Max(c => c.Milliseconds):F1} ms");
            }
        }

        return accounted && summary.everythingReturned ? 0 : 1;
    }

    private static double? Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? null : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
