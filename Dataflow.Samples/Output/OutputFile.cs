using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Output;

/// <summary>
/// A file the user names on the command line, written through a temporary file beside it and moved into place once
/// complete, so a failed write never leaves half a file. Every failure names the file as given and its option, never
/// the temporary file.
/// </summary>
public static class OutputFile
{
    /// <summary>The full path of <paramref name="path"/>, refused when its folder is missing or it is a folder.</summary>
    /// <exception cref="UsageException">The folder does not exist, or the path is a folder.</exception>
    public static string Check(string path, string option)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new UsageException($"{option}: the folder '{folder}' does not exist.");
        }

        if (Directory.Exists(full))
        {
            throw new UsageException($"{option}: '{full}' is a folder, not a file.");
        }

        return full;
    }

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/> (<see cref="Pipeline.SafeFile.Save"/>: through a temporary
    /// file beside it, renamed into place; a device or FIFO written through).
    /// </summary>
    /// <exception cref="UsageException">The file cannot be written: the message names it, the option and the cause.</exception>
    public static void Write(string path, string option, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Check(path, option);
        try
        {
            Pipeline.SafeFile.Save(full, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(e, full, full + ".tmp", option);
        }
    }

    /// <summary>Checks, before a long run, that <paramref name="path"/> can be written (by writing its temporary file), leaving any file already there.</summary>
    /// <returns>The full path.</returns>
    /// <exception cref="UsageException">The file cannot be written: the message names it, the option and the cause.</exception>
    public static string Probe(string path, string option)
    {
        string full = Check(path, option);
        string temporary = full + ".tmp";
        try
        {
            using (File.Create(temporary))
            {
            }

            File.Delete(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(e, full, temporary, option);
        }

        return full;
    }

    private static UsageException Failure(Exception e, string full, string temporary, string option)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the error returned is what the user needs.
        }

        string reason = e is UnauthorizedAccessException ? "permission denied" : e.Message.Replace(temporary, full, StringComparison.Ordinal);
        return new UsageException($"{option}: cannot write '{full}': {reason}", e);
    }
}
