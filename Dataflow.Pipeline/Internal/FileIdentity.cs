using System.Runtime.InteropServices;

namespace Dataflow.Pipeline.Internal;

/// <summary>
/// What the file system says identifies a file and its last change, past what <see cref="FileInfo"/> gives: the device
/// and inode (the same for every hard link, and for every symbolic link to the file), the number of hard links, and the
/// status change time (ctime), which every write and every change of the modification time sets to now.
/// </summary>
/// <remarks>Read with <c>statx(2)</c>, following symbolic links; on other systems than Linux, or where the call fails, <see cref="Of"/> returns null.</remarks>
internal sealed partial class FileIdentity
{
    private const int CurrentFolder = -100; // AT_FDCWD
    private const uint BasicStats = 0x7ff; // STATX_BASIC_STATS

    private FileIdentity(ulong device, ulong inode, uint links, long changeSeconds, uint changeNanoseconds)
    {
        Device = device;
        Inode = inode;
        Links = links;
        ChangeSeconds = changeSeconds;
        ChangeNanoseconds = changeNanoseconds;
    }

    /// <summary>The device the file is on (major in the high 32 bits, minor in the low).</summary>
    public ulong Device { get; }

    /// <summary>The file's inode number on its device.</summary>
    public ulong Inode { get; }

    /// <summary>The hard links to the file (names of it in any folder).</summary>
    public uint Links { get; }

    /// <summary>The status change time, seconds since 1970.</summary>
    public long ChangeSeconds { get; }

    /// <summary>The status change time's nanoseconds.</summary>
    public uint ChangeNanoseconds { get; }

    /// <summary>"device major:minor, inode N", naming the file as the file system knows it.</summary>
    public string Describe() => $"device {Device >> 32}:{Device & 0xFFFFFFFF}, inode {Inode}";

    /// <summary>The identity of the file at <paramref name="path"/> (links followed), or null when it cannot be read here.</summary>
    public static unsafe FileIdentity? Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // struct statx is laid out the same on every Linux architecture (fields in the machine's byte order).
        byte* buffer = stackalloc byte[256];
        if (Statx(CurrentFolder, path, 0, BasicStats, buffer) != 0)
        {
            return null;
        }

        return new FileIdentity(
            device: ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140),
            inode: *(ulong*)(buffer + 32),
            links: *(uint*)(buffer + 16),
            changeSeconds: *(long*)(buffer + 96),
            changeNanoseconds: *(uint*)(buffer + 104));
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int folder, string path, int flags, uint mask, byte* buffer);
}
