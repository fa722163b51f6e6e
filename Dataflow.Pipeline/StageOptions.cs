using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline;

/// <summary>Parallelism and buffering of one block.</summary>
public sealed record StageOptions
{
    /// <summary>Creates stage options.</summary>
    public StageOptions(int maxDegreeOfParallelism, int boundedCapacity)
    {
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
        BoundedCapacity = boundedCapacity;
    }

    /// <summary>How many messages the block processes at once.</summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <summary>The most messages the block holds (waiting, running and finished but not yet taken).</summary>
    public int BoundedCapacity { get; init; }

    internal void Validate(string name)
    {
        Guard.InRange(MaxDegreeOfParallelism, 1, 256, name + ".MaxDegreeOfParallelism");
        Guard.InRange(BoundedCapacity, MaxDegreeOfParallelism, 65_536, name + ".BoundedCapacity");
    }

    /// <summary>The default for a CPU-bound stage on this machine: one worker per core, two messages each.</summary>
    public static StageOptions ForCpu() => new(Environment.ProcessorCount, 2 * Environment.ProcessorCount);
}
