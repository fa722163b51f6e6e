using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline;

/// <summary>
/// Saves a file so that a failed write never leaves half of it, and never replaces what is not a regular file: a
/// regular file (or a new one) is written beside itself and renamed into place; a character device or a FIFO
/// (<c>/dev/null</c>, a pipe to another process) is written through, never deleted; a symbolic link is kept and the
/// file it leads to is saved; a folder, a block device or a socket is refused, naming the path. The library saves
/// its states this way (<see cref="Distributed.PipelineState.Save"/>); an application can save its own files so too.
/// </summary>
public static class SafeFile
{
    /// <summary>Saves what <paramref name="write"/> writes to <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The path is a folder, a block device or a socket (the message names it), or the write failed; a failed write leaves no temporary file.</exception>
    public static void Save(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        FileKind kind = FileKinds.Of(full);
        switch (kind)
        {
            case FileKind.CharacterDevice or FileKind.Fifo:
                // Opened as it is (links followed), without truncation or rename: the node stays what it was.
                using (var stream = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 12))
                {
                    write(stream);
                }

                return;
            case FileKind.Absent or FileKind.Regular:
                Replace(Target(full), write);
                return;
            default:
                throw new IOException($"'{full}' is {FileKinds.Describe(kind)}, not a regular file: not written.");
        }
    }

    /// <summary>The file a path's links lead to (the path itself when it is no link): that file is replaced, the links stay.</summary>
    private static string Target(string full)
    {
        var file = new FileInfo(full);
        return file.LinkTarget is null ? full : file.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
    }

    private static void Replace(string target, Action<Stream> write)
    {
        string temporary = target + ".tmp";
        try
        {
            // Left over from an earlier failure, the name is ours: removed (a link there is removed, not followed).
            File.Delete(temporary);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write's own error is the one to report.
        }
    }
}
