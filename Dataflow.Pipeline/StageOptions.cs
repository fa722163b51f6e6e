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

    /// <summary>Checks the values; throws every failure at once, naming them after <paramref name="name"/>.</summary>
    /// <exception cref="PipelineOptionsException">A value is out of range.</exception>
    internal void Validate(string name)
    {
        var checks = new OptionChecks();
        Check(name, checks);
        checks.ThrowIfAny();
    }

    internal void Check(string name, OptionChecks checks)
    {
        checks.InRange(MaxDegreeOfParallelism, 1, 256, name + ".MaxDegreeOfParallelism");
        checks.InRange(BoundedCapacity, MaxDegreeOfParallelism, 65_536, name + ".BoundedCapacity");
    }

    /// <summary>The default for a CPU-bound stage on this machine: one worker per core, two messages each.</summary>
    public static StageOptions ForCpu() => new(Environment.ProcessorCount, 2 * Environment.ProcessorCount);
}
