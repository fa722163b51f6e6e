using Dataflow.Pipeline.Distributed;

namespace Dataflow.Samples.Commands;

/// <summary>What a digest run does besides hashing: stop early, resume from a state, list the delivered rows.</summary>
public sealed record DigestRequest
{
    /// <summary>Stop after this many batches; null for the whole run.</summary>
    public int? StopAfter { get; init; }

    /// <summary>A loader state to continue from.</summary>
    public PipelineState? Resume { get; init; }

    /// <summary>Where to write the delivered rows (see <see cref="SampleList"/>), or null.</summary>
    public string? SamplesPath { get; init; }
}
