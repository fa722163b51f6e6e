using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Memory;
using Microsoft.Win32.SafeHandles;

namespace Dataflow.Pipeline.Reading;

/// <summary>
/// Reads one image file into a pooled buffer, refusing what must not be read whole: a file above
/// <see cref="MaxFileBytes"/> is not read at all, and of a file larger than <see cref="HeadBytes"/> the first bytes
/// are read and checked (a known image signature, a declared size within <see cref="MaxImagePixels"/>) before the
/// rest is. Thread-safe: holds only its settings.
/// </summary>
internal sealed class FileReader
{
    /// <summary>How much of a file is read, and checked, before the rest.</summary>
    internal const int HeadBytes = 64 * 1024;

    /// <summary>Creates a reader.</summary>
    public FileReader(long maxFileBytes = PipelineOptions.DefaultMaxFileBytes, long maxImagePixels = ImageDecoder.DefaultMaxPixels)
    {
        MaxFileBytes = maxFileBytes;
        MaxImagePixels = maxImagePixels;
    }

    /// <summary>Files with more bytes are refused unread (<see cref="PipelineOptions.MaxFileBytes"/>).</summary>
    public long MaxFileBytes { get; }

    /// <summary>Files whose header declares more pixels are refused after their first bytes (<see cref="PipelineOptions.MaxImagePixels"/>).</summary>
    public long MaxImagePixels { get; }

    /// <summary>Reads the file at <paramref name="path"/>; the caller owns the returned buffer.</summary>
    /// <param name="path">The file.</param>
    /// <param name="pool">Where the buffer is rented.</param>
    /// <param name="knownRegular">True when the file was read as a regular, non-empty file before in this run
    /// (<see cref="CheckedFiles"/>): it is opened without checking first that it reports data.</param>
    /// <exception cref="IOException">The file cannot be read, is above <see cref="MaxFileBytes"/>, or its first bytes are not an acceptable image (an <see cref="ImageDecodeException"/>); the message names the file.</exception>
    public PooledBuffer Read(string path, BufferPool pool, bool knownRegular = false)
    {
        if (!knownRegular && ReportsNoData(path))
        {
            return pool.Rent(0);
        }

        // ReadWrite sharing: on Unix, FileShare.Read takes an advisory lock (one more system call per file) that
        // protects nothing here; a file that changes while it is read is caught below (it grew past its length).
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        long length = RandomAccess.GetLength(handle);
        if (length > MaxFileBytes)
        {
            throw TooLarge(path, $"{length} bytes");
        }

        PooledBuffer buffer = pool.Rent((int)Math.Min(length, HeadBytes));
        try
        {
            // A small file is read into the whole rented array, which is at least its length: a read that comes back
            // short once that length is reached is the end of the file, with no read of zero bytes to find it.
            int want = length > HeadBytes ? buffer.Length : (int)Math.Min(buffer.Array.Length, Limit);
            int total = ReadInto(handle, buffer, 0, want, length);
            if (total < want)
            {
                buffer.Length = total;
                return buffer;
            }

            if (length > HeadBytes)
            {
                // A large file: its first bytes must be an image whose declared size is acceptable before the
                // rest is read (a 2 GB file of noise or a decompression bomb costs 64 KiB, not its size).
                ImageDecoder.CheckHeader(ImageHeader.Read(buffer.Array.AsSpan(0, total)), path, length, MaxImagePixels, complete: false);
                PooledBuffer whole = pool.Rent((int)length);
                buffer.Array.AsSpan(0, total).CopyTo(whole.Array);
                buffer.Dispose();
                buffer = whole;
            }

            total = ReadRest(handle, path, ref buffer, pool, total, length);
            buffer.Length = total;
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for a streamed read, after the checks <see cref="Read"/> makes before it reads:
    /// what the path leads to (links followed) must be a regular file, of at most <see cref="MaxFileBytes"/>. A FIFO
    /// or device is refused unopened (opening a FIFO waits for a writer; a device such as <c>/dev/zero</c> never ends).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="IOException">It is not a regular file, or it is above <see cref="MaxFileBytes"/>; the message names the file.</exception>
    public FileStream OpenStream(string path)
    {
        EnsureRegular(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        if (stream.Length > MaxFileBytes)
        {
            long length = stream.Length;
            stream.Dispose();
            throw TooLarge(path, $"{length} bytes");
        }

        return stream;
    }

    /// <summary>
    /// Refuses, unopened, what a path leads to (links followed) when it is not a regular file: opening a FIFO waits for a
    /// writer (no cancellation interrupts it) and a device such as <c>/dev/zero</c> never ends. Every local read that
    /// opens a file it has not listed itself goes through here (the folder index, the local object store).
    /// </summary>
    /// <exception cref="IOException">It is not a regular file; the message names it and what it is.</exception>
    internal static void EnsureRegular(string path)
    {
        Internal.FileKind kind = Internal.FileKinds.Of(path);
        if (kind is not (Internal.FileKind.Regular or Internal.FileKind.Absent))
        {
            throw new IOException($"The file '{path}' is {Internal.FileKinds.Describe(kind)}, not a regular file: not read.");
        }
    }

    /// <summary>Reads from <paramref name="total"/> to the end of the file, moving to a larger buffer if the file grew since its length was read.</summary>
    private int ReadRest(SafeFileHandle handle, string path, ref PooledBuffer buffer, BufferPool pool, int total, long length)
    {
        long limit = Limit;
        Span<byte> probe = stackalloc byte[1];
        while (true)
        {
            if (total == buffer.Array.Length)
            {
                // The buffer is full: a one-byte probe says whether the file goes on, before a larger one is rented.
                if (RandomAccess.Read(handle, probe, total) == 0)
                {
                    return total;
                }

                PooledBuffer larger = pool.Rent((int)Math.Min(Math.Max(2L * total, 4096), limit));
                buffer.Array.AsSpan(0, total).CopyTo(larger.Array);
                buffer.Dispose();
                buffer = larger;
                buffer.Array[total++] = probe[0];
            }
            else
            {
                int want = (int)Math.Min(buffer.Array.Length, limit) - total;
                int read = ReadInto(handle, buffer, total, want, length);
                total += read;
                if (total <= MaxFileBytes && read < want)
                {
                    return total;
                }
            }

            if (total > MaxFileBytes)
            {
                throw TooLarge(path, $"more than {MaxFileBytes} bytes (it grew while being read)");
            }
        }
    }

    // One byte past MaxFileBytes is enough to know a growing file went past it.
    private long Limit => Math.Min(MaxFileBytes + 1, Array.MaxLength);

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes; fewer only at the end of the file: a read of zero bytes, or a short
    /// read once <paramref name="length"/> (the length the file reported) is reached, which for a file is its end.
    /// </summary>
    private static int ReadInto(SafeFileHandle handle, PooledBuffer buffer, int offset, int count, long length)
    {
        int done = 0;
        while (done < count)
        {
            int asked = count - done;
            int read = RandomAccess.Read(handle, buffer.Array.AsSpan(offset + done, asked), offset + done);
            if (read == 0)
            {
                break;
            }

            done += read;
            if (read < asked && offset + done >= length)
            {
                break;
            }
        }

        return done;
    }

    private IOException TooLarge(string path, string size) =>
        new($"The file '{path}' is {size}, above the limit of {MaxFileBytes} bytes (MaxFileBytes): not read.");

    /// <summary>
    /// True for an entry that reports no data: an empty file, or a FIFO, socket or device (all report 0 bytes).
    /// Such an entry is not opened, as opening a FIFO blocks until a writer appears and no cancellation can
    /// interrupt it; the decoder then reports the sample as empty.
    /// </summary>
    internal static bool ReportsNoData(string path)
    {
        FileSystemInfo file = new FileInfo(path);
        // The attributes come from the lstat that Exists and Length need anyway; only a link costs a readlink more.
        if ((file.Attributes & FileAttributes.ReparsePoint) != 0 && file.LinkTarget is not null)
        {
            file = file.ResolveLinkTarget(returnFinalTarget: true) ?? file;
        }

        return file is FileInfo { Exists: true, Length: 0 };
    }
}
