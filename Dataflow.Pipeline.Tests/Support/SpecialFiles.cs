using System.Runtime.InteropServices;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>FIFOs and device nodes made inside a test's own folder (never a real device of the machine).</summary>
internal static partial class SpecialFiles
{
    private const uint CharacterDevice = 0x2000;

    /// <summary>Makes a FIFO at <paramref name="path"/>.</summary>
    public static string Fifo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Assert.AreEqual(0, MakeFifo(path, Convert.ToUInt32("644", 8)), $"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
        return path;
    }

    /// <summary>
    /// Makes a character device node at <paramref name="path"/> with the numbers of the null device (1, 3): what is
    /// written to it goes nowhere, so a test that writes through it harms nothing. Needs root (the tests run as root).
    /// </summary>
    public static string NullDevice(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ulong device = (1UL << 8) | 3UL;
        Assert.AreEqual(0, MakeNode(path, CharacterDevice | Convert.ToUInt32("666", 8), device), $"mknod {path}: errno {Marshal.GetLastPInvokeError()} (the tests need root)");
        return path;
    }

    /// <summary>What <paramref name="path"/> itself is, as <c>stat</c> names it ("character special file", "regular file", "symbolic link" ...).</summary>
    public static string Kind(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["--format=%F", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : "absent";
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeNode(string path, uint mode, ulong device);
}
