using System.Runtime.InteropServices;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>
/// Changes a file as another program would: through the C library, without .NET's advisory lock (which the pipeline
/// holds on its open cache file and which another .NET FileStream would respect).
/// </summary>
internal static partial class ForeignFile
{
    private const int ReadWrite = 2; // O_RDWR

    /// <summary>Cuts the file to <paramref name="length"/> bytes (truncate(2)).</summary>
    public static void Truncate(string path, long length)
    {
        if (TruncateFile(path, length) != 0)
        {
            throw new IOException($"truncate '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>Flips the bits of the byte at each offset (a read and a write of each, with pread/pwrite).</summary>
    public static void FlipBytes(string path, IEnumerable<long> offsets)
    {
        int fd = Open(path, ReadWrite);
        if (fd < 0)
        {
            throw new IOException($"open '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        try
        {
            byte[] one = new byte[1];
            foreach (long offset in offsets)
            {
                if (PRead(fd, one, 1, offset) != 1)
                {
                    throw new IOException($"pread '{path}' at {offset}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                }

                one[0] ^= 0x5A;
                if (PWrite(fd, one, 1, offset) != 1)
                {
                    throw new IOException($"pwrite '{path}' at {offset}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "truncate", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int TruncateFile(string path, long length);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(int fd, byte[] buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, byte[] buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
