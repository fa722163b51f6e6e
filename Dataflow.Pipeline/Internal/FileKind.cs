using System.Runtime.InteropServices;

namespace Dataflow.Pipeline.Internal;

/// <summary>What a path names, as the file system says (the type bits of <c>stat</c>).</summary>
internal enum FileKind
{
    /// <summary>Nothing is there.</summary>
    Absent,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link (only when links are not followed).</summary>
    SymbolicLink,

    /// <summary>A character device (<c>/dev/null</c>, <c>/dev/zero</c>, a terminal).</summary>
    CharacterDevice,

    /// <summary>A block device (a disk).</summary>
    BlockDevice,

    /// <summary>A named pipe: opening it waits for the other end.</summary>
    Fifo,

    /// <summary>A Unix domain socket.</summary>
    Socket,
}

/// <summary>
/// Reads a path's <see cref="FileKind"/>. .NET's file APIs do not say whether an entry is a FIFO or a device (both
/// report 0 bytes, like an empty file); on Linux the kind comes from <c>statx</c>, elsewhere from what .NET reports
/// (absent, folder, link or file).
/// </summary>
internal static partial class FileKinds
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;
    private const int StatxBytes = 256;

    /// <summary>The kind of <paramref name="path"/>; with <paramref name="followLinks"/>, of what its links lead to (<see cref="FileKind.Absent"/> for a dangling one).</summary>
    public static FileKind Of(string path, bool followLinks = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux())
        {
            Span<byte> status = stackalloc byte[StatxBytes];
            int result;
            unsafe
            {
                fixed (byte* buffer = status)
                {
                    result = Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType, buffer);
                }
            }

            if (result == 0)
            {
                return FromMode(BitConverter.ToUInt16(status[ModeOffset..]));
            }

            // ENOENT, ENOTDIR: nothing there. Anything else (no permission to search a folder): ask .NET below.
            int error = Marshal.GetLastPInvokeError();
            if (error is 2 or 20)
            {
                return FileKind.Absent;
            }
        }

        FileSystemInfo entry = new FileInfo(path);
        if (!followLinks && entry.LinkTarget is not null)
        {
            return FileKind.SymbolicLink;
        }

        if (followLinks && entry.LinkTarget is not null)
        {
            entry = entry.ResolveLinkTarget(returnFinalTarget: true) ?? entry;
        }

        return entry.Attributes == (FileAttributes)(-1) ? FileKind.Absent
            : (entry.Attributes & FileAttributes.Directory) != 0 ? FileKind.Directory
            : entry.Exists ? FileKind.Regular
            : FileKind.Absent;
    }

    /// <summary>How a kind reads in a message: "a FIFO", "a character device" ...</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Absent => "absent",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.Socket => "a socket",
        _ => kind.ToString(),
    };

    private static FileKind FromMode(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.SymbolicLink,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0x1000 => FileKind.Fifo,
        0xC000 => FileKind.Socket,
        _ => FileKind.Regular,
    };

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* status);
}
