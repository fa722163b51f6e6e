namespace Dataflow.Pipeline.Distributed;

/// <summary>A process's place among the processes of a data-parallel run, and where it was read.</summary>
/// <param name="Rank">This process, from 0.</param>
/// <param name="WorldSize">Processes in the run.</param>
/// <param name="Source">Where the values come from: the options, or the launcher variables with their values.</param>
public sealed record RankAssignment(int Rank, int WorldSize, string Source)
{
    /// <inheritdoc />
    public override string ToString() => $"rank {Rank} of {WorldSize} ({Source})";
}
