namespace Dataflow.Samples.Commands;

/// <summary>A folder named on the command line (<c>--data</c>, <c>--dir</c>): it must exist and not be a file.</summary>
public static class FolderOption
{
    /// <summary>The full path of an existing folder given with <paramref name="option"/>.</summary>
    /// <exception cref="UsageException">It does not exist, or is a file.</exception>
    public static string Require(string path, string option)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new UsageException($"{option}: '{full}' is a file, not a folder.");
        }

        if (!Directory.Exists(full))
        {
            throw new UsageException($"{option}: the folder '{full}' does not exist.");
        }

        return full;
    }
}
