using System.Runtime.InteropServices;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>
/// A folder on a tmpfs of a few kilobytes, mounted for one test and unmounted when disposed: a disk that fills up.
/// </summary>
/// <remarks>Mounting needs root (CAP_SYS_ADMIN) on Linux; without it the test fails saying so, it is never skipped.</remarks>
internal sealed partial class SmallFileSystem : IDisposable
{
    private const int DetachOnUnmount = 2; // MNT_DETACH

    public SmallFileSystem(long bytes)
    {
        Root = Path.Combine(Path.GetTempPath(), "dataflow-tests", "tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        if (!OperatingSystem.IsLinux() || Mount("tmpfs", Root, "tmpfs", 0, $"size={bytes}") != 0)
        {
            string reason = OperatingSystem.IsLinux() ? Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()) : "not Linux";
            Directory.Delete(Root);
            Assert.Fail($"Mounting a {bytes}-byte tmpfs at '{Root}' failed ({reason}): the full-disk tests mount one, which needs Linux and root " +
                "(or CAP_SYS_ADMIN); run the tests as root, or in a container started with --privileged or --cap-add SYS_ADMIN.");
        }
    }

    /// <summary>The mounted folder.</summary>
    public string Root { get; }

    public void Dispose()
    {
        if (Unmount(Root, DetachOnUnmount) != 0)
        {
            throw new IOException($"Unmounting the tmpfs at '{Root}' failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        Directory.Delete(Root);
    }

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Mount(string source, string target, string type, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Unmount(string target, int flags);
}
