using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Diagnostics;
using Dataflow.Pipeline.Internal;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Tests.Internal;

/// <summary>
/// The tiny pipeline the first build of a process runs in the background (so that the per-sample path is compiled
/// while the real pipeline discovers its dataset). It fails silently by design, so these tests make sure it does run
/// the whole path for the kinds of options a run uses: one sample read, decoded, normalized and handed over.
/// </summary>
[TestClass]
public sealed class StartupWarmupTests
{
    public static IEnumerable<object[]> Kinds =>
    [
        [ColorMode.Rgb, NormalizationOptions.ImageNet, TensorLayout.Nchw, TensorElementType.Float32],
        [ColorMode.Grayscale, NormalizationOptions.ZeroToOne, TensorLayout.Nhwc, TensorElementType.Float32],
        [ColorMode.Bgr, NormalizationOptions.CaffeBgr, TensorLayout.Nchw, TensorElementType.Float32],
        [ColorMode.Rgb, NormalizationOptions.None, TensorLayout.Nhwc, TensorElementType.UInt8],
    ];

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public async Task RunSamplePath_LikeTheRunsOptions_OneSampleThroughTheWholePath(ColorMode color, NormalizationOptions normalization, TensorLayout layout, TensorElementType output)
    {
        var like = new PipelineOptions { ColorMode = color, Normalization = normalization, Layout = layout, Output = output, Width = 224, Height = 224 };

        PipelineReport? report = await StartupWarmup.RunSamplePathAsync(like);

        Assert.IsNotNull(report, "the warm-up pipeline could not run");
        Assert.AreEqual(1L, report.Batches);
        Assert.AreEqual(1L, report.Batched);
        Assert.IsEmpty(report.Skipped, string.Join(" | ", report.Skipped));
    }

    [TestMethod]
    [DoNotParallelize]
    public async Task RunSamplePath_RecordsToItsOwnMeter_NotThePipelines()
    {
        // Alone (no other test's pipeline records meanwhile): every image read is counted under its meter's name.
        var read = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == PipelineInstruments.ImagesRead)
            {
                l.EnableMeasurementEvents(instrument, instrument.Meter.Name);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, meter) => read.AddOrUpdate((string)meter!, value, (_, sum) => sum + value));
        listener.Start();

        PipelineReport? report = await StartupWarmup.RunSamplePathAsync(new PipelineOptions());

        Assert.IsNotNull(report);
        Assert.AreEqual(1L, read.GetValueOrDefault("Dataflow.Pipeline.WarmUp"), string.Join(", ", read));
        Assert.AreEqual(0L, read.GetValueOrDefault(PipelineInstruments.MeterName), string.Join(", ", read));
    }
}
