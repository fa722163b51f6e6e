using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Batching;

namespace Dataflow.Pipeline.Diagnostics;

/// <summary>
/// The instruments of one <see cref="Meter"/>, made once per meter and shared by every pipeline recording to it,
/// and the running pipelines' blocks whose queue depths its gauge reports.
/// </summary>
internal sealed class PipelineMetrics
{
    private static readonly Meter Shared = new(PipelineInstruments.MeterName, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConditionalWeakTable<Meter, PipelineMetrics> ByMeter = [];

    private readonly ConcurrentDictionary<IReadOnlyList<IDataflowBlock>, IReadOnlyList<IDataflowBlock>> _running = new(ReferenceEqualityComparer.Instance);

    private PipelineMetrics(Meter meter)
    {
        ImagesRead = meter.CreateCounter<long>(PipelineInstruments.ImagesRead, "{image}", "Images whose bytes were read.");
        ImagesDecoded = meter.CreateCounter<long>(PipelineInstruments.ImagesDecoded, "{image}", "Images decoded.");
        ImagesBatched = meter.CreateCounter<long>(PipelineInstruments.ImagesBatched, "{image}", "Images handed over in batches.");
        ImagesSkipped = meter.CreateCounter<long>(PipelineInstruments.ImagesSkipped, "{image}", "Images skipped, by failing stage.");
        Batches = meter.CreateCounter<long>(PipelineInstruments.Batches, "{batch}", "Batches handed over.");
        BytesRead = meter.CreateCounter<long>(PipelineInstruments.BytesRead, "By", "Encoded bytes read.");
        StageBusyTime = meter.CreateCounter<double>(PipelineInstruments.StageBusyTime, "s", "Busy time per stage, summed over its workers.");
        meter.CreateObservableGauge(PipelineInstruments.QueueDepth, ObserveQueueDepths, "{message}", "Messages waiting in or leaving each block of the running pipelines.");
    }

    public Counter<long> ImagesRead { get; }

    public Counter<long> ImagesDecoded { get; }

    public Counter<long> ImagesBatched { get; }

    public Counter<long> ImagesSkipped { get; }

    public Counter<long> Batches { get; }

    public Counter<long> BytesRead { get; }

    public Counter<double> StageBusyTime { get; }

    /// <summary>The instruments on <paramref name="meter"/>, or on the process-wide meter when it is null.</summary>
    public static PipelineMetrics For(Meter? meter) => ByMeter.GetValue(meter ?? Shared, static m => new PipelineMetrics(m));

    /// <summary>Reports the queue depths of <paramref name="blocks"/> until <see cref="Unwatch"/>.</summary>
    public void Watch(IReadOnlyList<IDataflowBlock> blocks) => _running.TryAdd(blocks, blocks);

    public void Unwatch(IReadOnlyList<IDataflowBlock> blocks) => _running.TryRemove(blocks, out _);

    private IEnumerable<Measurement<long>> ObserveQueueDepths()
    {
        // Summed per block name over the running pipelines: one series per block, whatever the number of runs.
        var depths = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (IReadOnlyList<IDataflowBlock> blocks in _running.Keys)
        {
            foreach (IDataflowBlock block in blocks)
            {
                if (Depth(block) is long depth)
                {
                    string name = block.ToString() ?? block.GetType().Name;
                    depths[name] = depths.GetValueOrDefault(name) + depth;
                }
            }
        }

        return depths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("block", d.Key)));
    }

    private static long? Depth(IDataflowBlock block) => block switch
    {
        TransformBlock<ImageSample, ImageSample> t => t.InputCount + t.OutputCount,
        BatchBlock<ImageSample> b => b.OutputCount,
        TransformManyBlock<ImageSample[], Batch> m => m.InputCount + m.OutputCount,
        ActionBlock<Batch> a => a.InputCount,
        BufferBlock<Batch> q => q.Count,
        _ => null,
    };
}
