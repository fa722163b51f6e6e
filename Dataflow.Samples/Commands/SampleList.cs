using System.Globalization;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The per-rank sample list that <c>plan</c> and <c>digest --samples</c> write, one row per line in batch order:
/// <c>epoch TAB batch TAB path-relative-to-the-dataset TAB weight</c> (weight 0 marks a repeated padding row).
/// </summary>
public static class SampleList
{
    /// <summary>The placeholder replaced by the process's rank in a list's file name.</summary>
    public const string RankPlaceholder = "{rank}";

    /// <summary>One line of the list.</summary>
    public static string Line(int epoch, int batch, DatasetLocation dataset, string path, float weight)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return string.Create(CultureInfo.InvariantCulture, $"{epoch}\t{batch}\t{dataset.RelativePath(path)}\t{weight}");
    }

    /// <summary>The full path of the list file, <see cref="RankPlaceholder"/> replaced by <paramref name="rank"/>.</summary>
    public static string PathFor(string path, int rank)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetFullPath(path.Replace(RankPlaceholder, rank.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    /// <summary>Opens the list file, <see cref="RankPlaceholder"/> replaced by <paramref name="rank"/>.</summary>
    /// <exception cref="UsageException">The folder does not exist.</exception>
    public static StreamWriter Create(string path, int rank, string option)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = PathFor(path, rank);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new UsageException($"{option}: the folder '{folder}' does not exist.");
        }

        return new StreamWriter(full) { NewLine = "\n" };
    }
}
