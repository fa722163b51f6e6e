using Dataflow.Pipeline.Graph;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Dataflow.Pipeline.Diagnostics;
using Dataflow.Pipeline.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Dataflow.Pipeline.Tests.Diagnostics;

/// <summary>The meter, read with a <see cref="MeterListener"/>, and the logger, through real runs over real files.</summary>
[TestClass]
public sealed class PipelineInstrumentsTests
{
    private static PipelineOptions Options => new() { Width = 12, Height = 10, BatchSize = 3, Epochs = 2, Seed = 11 };

    /// <summary>A dataset of 2 x 5 PNGs and one file that is not an image.</summary>
    private static TempDataset DatasetWithOneBrokenFile()
    {
        TempDataset data = new TempDataset().WithClasses(2, 5, 16, 12);
        data.WriteBytes("class1/broken.png", [.. "not a png at all, only text"u8]);
        return data;
    }

    [TestMethod]
    public async Task Meter_RealRun_CountsBytesBusyTimeAndQueueDepthsAsTheReportDoes()
    {
        using TempDataset data = DatasetWithOneBrokenFile();
        using var factory = new TestMeterFactory();
        using var metrics = new MetricsRecorder(factory);
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options).UseMeterFactory(factory)
            .Build(_ => metrics.RecordGauges());
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        PipelineReport report = pipeline.Report;
        Assert.AreEqual(11, report.Discovered);
        Assert.HasCount(2, report.Skipped, "the broken file, once per epoch");
        string skipStage = report.Skipped[0].Stage;
        long skippedAtRead = skipStage == "read" ? 2 : 0;
        long goodBytes = Directory.EnumerateFiles(data.Root, "img*.png", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        long brokenBytes = new FileInfo(Path.Combine(data.Root, "class1", "broken.png")).Length;

        Assert.AreEqual(22 - skippedAtRead, metrics.Sum(PipelineInstruments.ImagesRead));
        Assert.AreEqual(20, metrics.Sum(PipelineInstruments.ImagesDecoded));
        Assert.AreEqual(report.Batched, metrics.Sum(PipelineInstruments.ImagesBatched));
        Assert.AreEqual(20, report.Batched);
        Assert.AreEqual(report.Batches, metrics.Sum(PipelineInstruments.Batches));
        Assert.AreEqual(2, metrics.Sum(PipelineInstruments.ImagesSkipped, ("stage", skipStage)));
        Assert.AreEqual(2 * goodBytes + (skippedAtRead == 0 ? 2 * brokenBytes : 0), metrics.Sum(PipelineInstruments.BytesRead));
        foreach ((string stage, TimeSpan time) in report.StageTime)
        {
            // The same busy time as the report's clock, summed in seconds.
            Assert.AreEqual(time.TotalSeconds, metrics.SumDouble(PipelineInstruments.StageBusyTime, ("stage", stage)), 1e-6, stage);
        }

        // Blocks are named for what they do: the fused block decodes, augments and normalizes; chunks regroup into batches.
        string grouping = report.Graph.StartsWith("chunked", StringComparison.Ordinal) ? "regroup" : "batch";
        CollectionAssert.IsSubsetOf(new[] { "read", PipelineGraph.FusedBlockName, grouping, "assemble", "deliver" }, metrics.GaugeBlocks.ToArray());
        Assert.IsTrue(metrics.GaugeValues.All(v => v >= 0));
        PipelineRunner.AssertNothingHeld(pipeline);
    }

    [TestMethod]
    public async Task Meter_NoFactory_RecordsOnTheProcessWideMeter()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 3);
        long read = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineInstruments.MeterName && instrument.Meter.Scope is null && instrument.Name == PipelineInstruments.ImagesRead)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref read, value));
        listener.Start();

        await PipelineRunner.RunAsync(Options with { Epochs = 1 }, data.Root);

        // Other tests' pipelines may record to the same meter meanwhile: at least this run's six.
        Assert.IsGreaterThanOrEqualTo(6, Interlocked.Read(ref read));
    }

    [TestMethod]
    public async Task Logger_Skips_OneWarningPerSkipWithPathStageAndReason_ThenTheOutcome()
    {
        using TempDataset data = DatasetWithOneBrokenFile();
        var logger = new ListLogger();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options).UseLogger(logger).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        LogEntry[] warnings = [.. logger.Entries.Where(e => e.Level == LogLevel.Warning)];
        Assert.HasCount(2, warnings);
        // The epochs overlap in the graph, so the two skips may be logged in either order.
        CollectionAssert.AreEquivalent(
            pipeline.Report.Skipped.Select(s => $"Skipped {s.Path} in epoch {s.Epoch} at the {s.Stage} stage: {s.Reason}").ToArray(),
            warnings.Select(w => w.Message).ToArray());
        Assert.IsTrue(warnings.All(w => w.Event.Name == "SampleSkipped"));
        Assert.AreEqual(pipeline.Report.Skipped[0].Path, warnings[0].State["Path"]);
        LogEntry outcome = logger.Entries.Last();
        Assert.AreEqual("RunCompleted", outcome.Event.Name);
        Assert.AreEqual($"The pipeline run completed: {pipeline.Report}", outcome.Message);
    }

    [TestMethod]
    public async Task Logger_FailFast_TheFaultIsAnErrorWithTheException()
    {
        using TempDataset data = DatasetWithOneBrokenFile();
        var logger = new ListLogger();
        ImagePipeline pipeline = ImagePipeline.CreateBuilder(Options with { ErrorPolicy = ErrorPolicy.FailFast }).UseLogger(logger).Build(_ => { });
        pipeline.Post(data.Root);
        pipeline.Complete();
        SampleFailedException failure = await Assert.ThrowsExactlyAsync<SampleFailedException>(() => pipeline.Completion);

        LogEntry error = logger.Entries.Single(e => e.Level == LogLevel.Error);
        Assert.AreEqual("RunFaulted", error.Event.Name);
        Assert.AreSame(failure, error.Exception);
        Assert.Contains("broken.png", error.Message);
    }

    [TestMethod]
    public void Builder_NullLoggerOrFactory_Throws()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => ImagePipeline.CreateBuilder(Options).UseLogger(null!));
        Assert.ThrowsExactly<ArgumentNullException>(() => ImagePipeline.CreateBuilder(Options).UseMeterFactory(null!));
    }

    /// <summary>A meter factory of its own, so a listener sees this test's pipeline only.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
            }
        }
    }

    /// <summary>Sums every measurement of the factory's meters by instrument and tags; keeps the gauge's blocks.</summary>
    private sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, double> _sums = new();

        public MetricsRecorder(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        public ConcurrentBag<string> GaugeBlocks { get; } = [];

        public ConcurrentBag<double> GaugeValues { get; } = [];

        public void RecordGauges() => _listener.RecordObservableInstruments();

        public long Sum(string instrument, params (string Key, string Value)[] tags) => (long)SumDouble(instrument, tags);

        public double SumDouble(string instrument, params (string Key, string Value)[] tags) =>
            _sums.GetValueOrDefault(Key(instrument, tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value))));

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (instrument.Name == PipelineInstruments.QueueDepth)
            {
                GaugeBlocks.Add((string)tags[0].Value!);
                GaugeValues.Add(value);
                return;
            }

            _sums.AddOrUpdate(Key(instrument.Name, tags.ToArray()), value, (_, sum) => sum + value);
            if (tags.Length > 0)
            {
                _sums.AddOrUpdate(Key(instrument.Name, []), value, (_, sum) => sum + value);
            }
        }

        private static string Key(string instrument, IEnumerable<KeyValuePair<string, object?>> tags) =>
            instrument + "|" + string.Join(",", tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
    }
}
