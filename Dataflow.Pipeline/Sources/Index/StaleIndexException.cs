namespace Dataflow.Pipeline.Sources;

/// <summary>
/// An index no longer matches the data it describes (a file or shard missing, a size or hash changed): the run
/// refuses to trust it. The message lists every difference found.
/// </summary>
public sealed class StaleIndexException : IOException
{
    /// <summary>Creates the exception for the index at <paramref name="index"/> with the differences found.</summary>
    public StaleIndexException(string index, IReadOnlyList<string> differences)
        : base($"The index '{index}' is stale ({differences.Count} difference{(differences.Count == 1 ? "" : "s")}); rebuild it: {string.Join("; ", differences.Take(10))}{(differences.Count > 10 ? "; ..." : "")}")
    {
        Index = index;
        Differences = differences;
    }

    /// <summary>Where the index is.</summary>
    public string Index { get; }

    /// <summary>Each difference between the index and the data, naming the file.</summary>
    public IReadOnlyList<string> Differences { get; }
}
