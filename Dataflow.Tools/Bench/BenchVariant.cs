using System.Diagnostics;
using System.Numerics.Tensors;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using OpenCvSharp;

namespace Dataflow.Tools.Bench;

/// <summary>
/// Runs one variant of the bench in this process and measures it: the bare decode ceiling (a tight
/// loop on every core) or the full pipeline into a trainer that reads every batch.
/// </summary>
internal static class BenchVariant
{
    /// <summary>The variants a bench can run.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ceiling", "ceiling-reduced", "pipeline", "pipeline-full", "pipeline-bytes", "pipeline-cache", "pipeline-cache-bytes", "pipeline-shards", "pipeline-index", "pipeline-objects", "pipeline-detect", "pipeline-boxes", .. BenchDataset.Variants, "discover", "discover-index"];

    /// <summary>Measures <paramref name="variant"/> once.</summary>
    public static BenchMeasurement Run(string variant, BenchSettings settings)
    {
        if (settings.OpenCvThreads is int threads)
        {
            Cv2.SetNumThreads(threads);
        }

        // Loads the native library before any clock starts: a process pays that once, whatever it runs.
        _ = Cv2.GetNumThreads();
        return variant switch
        {
            "ceiling" => Ceiling(settings, reduced: false),
            "ceiling-reduced" => Ceiling(settings, reduced: true),
            "pipeline" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true)),
            "pipeline-full" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: false)),
            "pipeline-bytes" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true, bytes: true)),
            "pipeline-cache" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true, cache: true)),
            "pipeline-cache-bytes" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true, bytes: true, cache: true)),
            // The same pipeline over the dataset's other forms: --data is then a shard folder or location, a folder
            // with its .dataflow-index.json, or class folders in object storage (credentials from the environment).
            "pipeline-shards" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true), new Dataflow.Pipeline.Sources.ShardSampleSource()),
            "pipeline-index" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true), new Dataflow.Pipeline.Sources.IndexedFolderSampleSource()),
            "pipeline-objects" => Pipeline(settings, variant, settings.PipelineOptions(reducedDecode: true), new Dataflow.Pipeline.Sources.ObjectFolderSampleSource()),
            // A detection recipe (letterbox to --width x --height, flip, RandomResizedCrop) without targets, and the same with
            // five boxes per image that every transform moves: their ratio is what targets cost.
            "pipeline-detect" => Pipeline(settings, variant, Detection(settings)),
            "pipeline-boxes" => Pipeline(settings, variant, Detection(settings), new BoxedFolderSource()),
            // The class folders at --data as shards on local disk, or as shards or loose objects in s3rver or Azurite on
            // loopback: made (packed, uploaded) before the clock starts.
            _ when BenchDataset.Variants.Contains(variant) => Stored(settings, variant),
            // What a run holds before its first image: the discovered set and the first epoch's plan (listing or index).
            "discover" => Discover(settings, variant, new FolderSampleSource()),
            "discover-index" => Discover(settings, variant, new Dataflow.Pipeline.Sources.IndexedFolderSampleSource()),
            _ => throw new ArgumentException($"Unknown variant '{variant}'; use one of {string.Join(", ", Names)}.", nameof(variant)),
        };
    }

    private static PipelineOptions Detection(BenchSettings settings) => settings.PipelineOptions(reducedDecode: true) with
    {
        ResizeMode = ResizeMode.Letterbox,
        Augmentations = [new Dataflow.Pipeline.Augmentation.RandomHorizontalFlip(), new Dataflow.Pipeline.Augmentation.RandomResizedCrop((0.3, 1.0))],
    };

    /// <summary>The class folders with five boxes per image (normalized, so they fit any image size), drawn from its index.</summary>
    private sealed class BoxedFolderSource : ISampleSource
    {
        private readonly FolderSampleSource _folder = new();

        public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
        {
            SampleSet set = await _folder.DiscoverAsync(roots, cancellationToken).ConfigureAwait(false);
            var samples = new SampleInfo[set.Samples.Count];
            for (int i = 0; i < samples.Length; i++)
            {
                var boxes = new float[20];
                for (int b = 0; b < 5; b++)
                {
                    uint h = (uint)(i * 2654435761u + b * 40503u);
                    boxes[4 * b] = 0.1f + (h % 80) / 100f;
                    boxes[4 * b + 1] = 0.1f + (h / 80 % 80) / 100f;
                    boxes[4 * b + 2] = 0.05f + (h / 6400 % 15) / 100f;
                    boxes[4 * b + 3] = 0.05f + (h / 96000 % 15) / 100f;
                }

                samples[i] = set.Samples[i] with
                {
                    Targets = new Dataflow.Pipeline.Targets.SampleTargets
                    {
                        Boxes = new Dataflow.Pipeline.Targets.BoundingBoxes(boxes, [i % 3, 0, 1, 2, i % 2], Dataflow.Pipeline.Targets.BoxFormat.CxcywhNormalized),
                    },
                };
            }

            return new SampleSet(set.ClassNames, samples)
            {
                TargetSchema = new Dataflow.Pipeline.Targets.TargetSchema(Dataflow.Pipeline.Targets.TargetKinds.Boxes, ["a", "b", "c"]),
            };
        }

        public ValueTask<Dataflow.Pipeline.Memory.PooledBuffer> ReadAsync(SampleInfo sample, Dataflow.Pipeline.Memory.BufferPool pool, CancellationToken cancellationToken) =>
            _folder.ReadAsync(sample, pool, cancellationToken);

        // Read as the folder source reads (on the read block's worker), so that the two variants differ only by their targets.
        public bool ReadsOnCallingThread => _folder.ReadsOnCallingThread;
    }

    private static BenchMeasurement Ceiling(BenchSettings settings, bool reduced)
    {
        // Its first batch, the floor of the pipeline's: from before its listing to its batch-size-th resized image
        // (the throughput clock starts after the listing, as it always has).
        long listingStart = Stopwatch.GetTimestamp();
        IReadOnlyList<SampleInfo> files = new FolderSampleSource().Discover([settings.Data]).Samples;
        long total = (long)files.Count * settings.Epochs;
        int threadCount = settings.CeilingThreads ?? Environment.ProcessorCount;
        bool gray = settings.Color == ColorMode.Grayscale;
        var size = new Size(settings.Width, settings.Height);
        InterpolationFlags interpolation = ImageDecoder.ToOpenCv(settings.Interpolation);
        long next = -1, done = 0, firstBatchAt = 0;
        long firstBatchImages = Math.Min(settings.BatchSize, total);
        var checksums = new double[threadCount];

        var probe = Probe.Start();
        var workers = new Thread[threadCount];
        for (int t = 0; t < threadCount; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                byte[] buffer = new byte[1 << 16];
                using var resized = new Mat();
                long i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    string path = files[(int)(i % files.Count)].Id;
                    int length = ReadFile(path, ref buffer);
                    ReadOnlySpan<byte> bytes = buffer.AsSpan(0, length);
                    ImreadModes mode = gray ? ImreadModes.Grayscale : ImreadModes.Color;
                    if (reduced)
                    {
                        mode = ReducedMode(ImageHeader.Read(bytes), size, gray, mode);
                    }

                    using Mat decoded = Cv2.ImDecode(bytes, mode);
                    Cv2.Resize(decoded, resized, size, 0, 0, interpolation);
                    checksums[id] += resized.At<byte>(0, 0);
                    if (Interlocked.Increment(ref done) == firstBatchImages)
                    {
                        firstBatchAt = Stopwatch.GetTimestamp();
                    }
                }
            });
            workers[t].Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        double? firstBatch = firstBatchAt == 0 ? null : Stopwatch.GetElapsedTime(listingStart, firstBatchAt).TotalSeconds;
        return probe.Stop(reduced ? "ceiling-reduced" : "ceiling", total, null, firstBatch, 0, checksums.Sum());
    }

    /// <summary>The same reduction rule as the library's decoder for a stretch resize: the largest of 8, 4, 2 that still covers the target.</summary>
    private static ImreadModes ReducedMode(ImageHeader header, Size target, bool gray, ImreadModes full)
    {
        if (header.Format != ImageFormat.Jpeg)
        {
            return full;
        }

        foreach (int r in (ReadOnlySpan<int>)[8, 4, 2])
        {
            if (header.Width / r >= target.Width && header.Height / r >= target.Height && header.Height / r >= target.Width && header.Width / r >= target.Height)
            {
                return (r, gray) switch
                {
                    (8, false) => ImreadModes.ReducedColor8,
                    (4, false) => ImreadModes.ReducedColor4,
                    (2, false) => ImreadModes.ReducedColor2,
                    (8, true) => ImreadModes.ReducedGrayscale8,
                    (4, true) => ImreadModes.ReducedGrayscale4,
                    _ => ImreadModes.ReducedGrayscale2,
                };
            }
        }

        return full;
    }

    private static int ReadFile(string path, ref byte[] buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(handle);
        if (length > buffer.Length)
        {
            buffer = new byte[Math.Max(length, 2L * buffer.Length)];
        }

        int total = 0, read;
        while (total < length && (read = RandomAccess.Read(handle, buffer.AsSpan(total, (int)length - total), total)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static BenchMeasurement Stored(BenchSettings settings, string variant)
    {
        PipelineOptions options = settings.PipelineOptions(reducedDecode: true);
        using BenchDataset dataset = BenchDataset.Prepare(variant, settings.Data, settings.ShuffleBuffer, settings.BytesInFlightMiB, options);
        ResetPeakRss(); // packing and uploading are not the run's
        return Pipeline(settings, variant, options, dataset.Source, dataset.Planner, dataset.Root);
    }

    /// <summary>Starts this process's peak resident memory (VmHWM) again from its current size (Linux: clear_refs 5).</summary>
    private static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Elsewhere the peak includes the preparation.
        }
    }

    private static BenchMeasurement Pipeline(BenchSettings settings, string variant, PipelineOptions options, ISampleSource? source = null,
        Dataflow.Pipeline.Planning.IEpochPlanner? planner = null, string? root = null)
    {
        // The batch count comes from the pipeline's own discovery (a second discovery here would add its garbage
        // to this process's peak memory). Steady state: from the batch a tenth of the way through to the last one.
        long totalBatches = 0, markBatch = 0;
        long batches = 0, images = 0, imagesAtMark = 0, allocatedAtMark = 0, allocatedAtEnd = 0;
        ImagePipeline? pipeline = null;
        double checksum = 0, firstBatch = 0, firstEpochEnd = 0;
        long imagesFirstEpoch = 0;
        long trainerTicks = 0;

        using JitLog? jitLog = JitLog.FromEnvironment();
        jitLog?.Mark("build");
        var probe = Probe.Start();
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        if (source is not null)
        {
            builder.UseSource(source);
        }

        if (planner is not null)
        {
            builder.UsePlanner(planner);
        }
        if (settings.SplitStages)
        {
            builder.AddStage(StagePosition.AfterAugment, "no-op", static _ => { });
        }

        // Start-time measurements (Build to the first batch on a huge tree) stop there: the rest of the epoch would
        // only add minutes.
        bool firstBatchOnly = Environment.GetEnvironmentVariable("DATAFLOW_BENCH_FIRST_BATCH_ONLY") == "1";
        pipeline = builder.Build((Batch batch) =>
        {
            if (batches == 0)
            {
                firstBatch = probe.Elapsed;
                jitLog?.Mark("first batch");
                if (firstBatchOnly)
                {
                    pipeline!.Cancel();
                }

                long selected = pipeline!.Report.Selected;
                totalBatches = (selected + settings.BatchSize - 1) / settings.BatchSize * settings.Epochs;
                markBatch = Math.Max(1, totalBatches / 10);
            }

            // A trainer reads every value of the batch (as a copy to a device would).
            long start = Stopwatch.GetTimestamp();
            checksum += batch.ElementType == TensorElementType.UInt8 ? SumBytes(batch.ByteData) : TensorPrimitives.Sum<float>(batch.Data);
            trainerTicks += Stopwatch.GetTimestamp() - start;
            images += batch.Count;
            batches++;
            if (batch.Epoch == 0 && batch.IsLastInEpoch)
            {
                firstEpochEnd = probe.Elapsed;
                imagesFirstEpoch = images;
            }

            if (batches == markBatch)
            {
                imagesAtMark = images;
                allocatedAtMark = GC.GetTotalAllocatedBytes(precise: true);
            }
            else if (batches == totalBatches)
            {
                allocatedAtEnd = GC.GetTotalAllocatedBytes(precise: true);
            }
        });
        pipeline.Post(root ?? settings.Data);
        pipeline.Complete();
        try
        {
            pipeline.Completion.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (firstBatchOnly)
        {
            (source as IDisposable)?.Dispose();
            return probe.Stop(variant, batches == 0 ? 0 : images, null, firstBatch, 0, checksum);
        }

        (source as IDisposable)?.Dispose();
        if (batches != totalBatches)
        {
            throw new InvalidOperationException($"{variant}: expected {totalBatches} batches, got {batches} ({pipeline.Report}).");
        }

        double allocated = (double)(allocatedAtEnd - allocatedAtMark) / Math.Max(1, images - imagesAtMark);
        var stages = pipeline.Report.StageTime.ToDictionary(kv => kv.Key, kv => kv.Value.TotalMilliseconds / images, StringComparer.Ordinal);
        BenchMeasurement measured = probe.Stop(variant, images, allocated, firstBatch, Stopwatch.GetElapsedTime(0, trainerTicks).TotalMilliseconds / images, checksum);
        return measured with
        {
            StageMsPerImage = stages,
            LaterEpochsImagesPerSecond = settings.Epochs > 1 && firstEpochEnd > 0 ? (images - imagesFirstEpoch) / (measured.Seconds - firstEpochEnd) : null,
        };
    }

    /// <summary>
    /// Discovers the dataset and plans its first epoch as the pipeline does (its source, its split, its planner), and
    /// measures the time of each and the managed memory they keep per sample (after a full collection, against one
    /// before): what a run holds per sample for as long as it runs.
    /// </summary>
    private static BenchMeasurement Discover(BenchSettings settings, string variant, ISampleSource source)
    {
        PipelineOptions options = settings.PipelineOptions(reducedDecode: true);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var probe = Probe.Start();
        SampleSet set = source.DiscoverAsync([settings.Data], CancellationToken.None).GetAwaiter().GetResult();
        double discovered = probe.Elapsed;
        int[] selected = DatasetSplit.Select(set, options.ValidationSplit, options.Subset, options.Seed);
        Dataflow.Pipeline.Planning.EpochPlan plan = new Dataflow.Pipeline.Distributed.PartitionPlanner(options).Plan(set, selected, 0);
        double planned = probe.Elapsed - discovered;
        BenchMeasurement measured = probe.Stop(variant, set.Samples.Count, null, null, 0, plan.Count);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(set);
        GC.KeepAlive(selected);
        GC.KeepAlive(plan);
        return measured with { DiscoverySeconds = discovered, PlanSeconds = planned, RetainedBytesPerSample = (double)(after - before) / Math.Max(1, set.Samples.Count) };
    }

    /// <summary>A value read from every byte (as a trainer copying the batch reads each one): their sum, wrapping, 32 bytes at a time.</summary>
    private static double SumBytes(ReadOnlySpan<byte> values) => TensorPrimitives.Sum(values);

    /// <summary>Clocks, CPU time, allocations and collections from the start of a run.</summary>
    private sealed class Probe
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly long _allocated = GC.GetTotalAllocatedBytes(precise: true);
        private readonly int _gen0 = GC.CollectionCount(0), _gen1 = GC.CollectionCount(1), _gen2 = GC.CollectionCount(2);

        public static Probe Start() => new();

        public double Elapsed => Stopwatch.GetElapsedTime(_start).TotalSeconds;

        /// <summary>Ends the run; without a steady-state figure the whole run's allocation per image is used.</summary>
        public BenchMeasurement Stop(string variant, long images, double? steadyAllocatedPerImage, double? firstBatch, double trainerMsPerImage, double checksum)
        {
            double seconds = Elapsed;
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMilliseconds;
            double allocatedPerImage = steadyAllocatedPerImage
                ?? (double)(GC.GetTotalAllocatedBytes(precise: true) - _allocated) / Math.Max(1, images);
            return new BenchMeasurement(variant, images, seconds, cpuMs / Math.Max(1, images), PeakRssMiB(),
                allocatedPerImage, GC.CollectionCount(0) - _gen0, GC.CollectionCount(1) - _gen1, GC.CollectionCount(2) - _gen2,
                firstBatch, trainerMsPerImage, checksum);
        }

        private static double PeakRssMiB()
        {
            const string status = "/proc/self/status";
            if (File.Exists(status))
            {
                foreach (string line in File.ReadLines(status))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        return double.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
                    }
                }
            }

            return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        }
    }
}
