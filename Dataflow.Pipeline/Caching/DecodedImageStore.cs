using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using OpenCvSharp;

namespace Dataflow.Pipeline.Caching;

/// <summary>
/// The entries of the decoded-image cache, one slot per sample index: 8-bit pixels of a fixed size (and, for a dataset
/// with targets, the decode's geometry beside them), in memory up to the budget, past it in a file. Each slot is written
/// once (the first sample to claim it) and then only read.
/// </summary>
/// <remarks>
/// <para>File layout (little-endian): a 64-byte header — magic <c>DFIMGCCH</c>, format version, width, height, channels,
/// sample count, entry length, the fingerprint of the dataset and decode options, the geometry's length (0 without
/// targets) — then one slot per sample index at <c>64 + index × (16 + entry length)</c>: a marker, the payload's length,
/// its XxHash3 checksum, the payload (the pixels, then the geometry). The payload is written before the slot's header. A
/// file whose header differs in any field is rebuilt.</para>
/// <para>The file is read and written with positional reads and writes, never through a memory map: a full disk is
/// then an <see cref="IOException"/> on a write (the file is given up, with the reason in
/// <see cref="CacheReport.FileDisabled"/>), and a file that another process truncates is a short read (the entry is
/// rejected), where a mapped page that cannot be backed or has gone kills the process (SIGBUS). Every entry read from
/// the file is checked (marker, length, checksum) each time it is read, so an entry that another process changed is
/// rejected, decoded again and rewritten, never served.</para>
/// </remarks>
internal sealed unsafe class DecodedImageStore : IDisposable
{
    /// <summary>The on-disk format; a file of any other version is rebuilt.</summary>
    public const int FormatVersion = 1;

    private const int HeaderBytes = 64;
    private const int EntryHeaderBytes = 16;
    private const uint EntryMarker = 0x59525445; // "ETRY"
    private static ReadOnlySpan<byte> Magic => "DFIMGCCH"u8;

    // Slot states. Busy: being written by one sample; the others treat it as a miss meanwhile. Kept: the slot of a kept
    // file from an earlier run, written or not (its first read tells).
    private const int Empty = 0, Busy = 1, InMemory = 2, InFile = 3, Kept = 4, NotCached = 5;

    private readonly DecodedImageCacheOptions _options;
    private readonly int _width, _height, _channels, _pixelBytes, _geometryBytes, _entryBytes;
    private readonly ulong _fingerprint;
    private readonly int[] _state;
    private readonly byte[]?[] _memory;
    private readonly object _fileLock = new();
    private readonly string? _path;
    private SafeFileHandle? _file;
    private int _fileGivenUp;
    private int _disposed;

    /// <param name="options">The cache's options.</param>
    /// <param name="width">The width of the entries' pixels.</param>
    /// <param name="height">Their height.</param>
    /// <param name="channels">Their channels.</param>
    /// <param name="count">The samples of the dataset: one slot each.</param>
    /// <param name="fingerprint">Identifies the dataset and decode options (a kept file with another is rebuilt).</param>
    /// <param name="geometry">Keep each entry's decode geometry beside its pixels (a dataset with targets).</param>
    public DecodedImageStore(DecodedImageCacheOptions options, int width, int height, int channels, int count, ulong fingerprint, bool geometry = false)
    {
        _options = options;
        _width = width;
        _height = height;
        _channels = channels;
        _pixelBytes = width * height * channels;
        _geometryBytes = geometry ? Targets.DecodeGeometry.Bytes : 0;
        _entryBytes = _pixelBytes + _geometryBytes;
        _fingerprint = fingerprint;
        _state = new int[count];
        _memory = new byte[count][];
        // A file that is not kept has a name of its own, so that runs sharing a folder (training and validation) never meet.
        _path = options.Folder is null ? null
            : Path.Combine(Path.GetFullPath(options.Folder), options.KeepFile ? DecodedImageCacheOptions.FileName : $"decoded-images-{Guid.NewGuid():N}.cache");
        Report = new CacheReport(options.KeepFile ? 0 : options.MemoryBudgetBytes, _entryBytes, _path);
        if (options.KeepFile)
        {
            OpenKept();
        }
    }

    public CacheReport Report { get; }

    private long SlotBytes => EntryHeaderBytes + (long)_entryBytes;

    private long FileLength => HeaderBytes + _state.LongLength * SlotBytes;

    /// <summary>
    /// A new Mat holding the sample's cached pixels (the caller owns it), or null when they are not cached. An entry read
    /// from the file is checked first; one that fails the check (changed, truncated or unreadable) is counted in
    /// <see cref="CacheReport.RejectedEntries"/>, its slot freed to be stored again, and null returned.
    /// </summary>
    public Mat? TryLoad(int index) => TryLoad(index, out _);

    /// <summary>As <see cref="TryLoad(int)"/>, with the decode geometry stored beside the pixels (null when the store keeps none).</summary>
    public Mat? TryLoad(int index, out Targets.DecodeGeometry? geometry)
    {
        geometry = null;
        int state = Volatile.Read(ref _state[index]);
        if (state == InMemory)
        {
            var image = new Mat(_height, _width, MatType.CV_8UC(_channels));
            byte[] entry = _memory[index]!;
            entry.AsSpan(0, _pixelBytes).CopyTo(new Span<byte>((void*)image.DataPointer, _pixelBytes));
            geometry = _geometryBytes == 0 ? null : Targets.DecodeGeometry.ReadFrom(entry.AsSpan(_pixelBytes));
            Report.Hit();
            return image;
        }

        if (state is not (InFile or Kept))
        {
            return null;
        }

        var loaded = new Mat(_height, _width, MatType.CV_8UC(_channels));
        Span<byte> stored = stackalloc byte[_geometryBytes];
        EntryCheck check;
        try
        {
            check = ReadEntry(index, new Span<byte>((void*)loaded.DataPointer, _pixelBytes), stored);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }

        if (check == EntryCheck.Valid)
        {
            if (state == Kept && Interlocked.CompareExchange(ref _state[index], InFile, Kept) == Kept)
            {
                Report.FileEntryAdded();
            }

            geometry = _geometryBytes == 0 ? null : Targets.DecodeGeometry.ReadFrom(stored);
            Report.Hit();
            return loaded;
        }

        loaded.Dispose();
        // One visit frees the slot and counts it; a visit that finds it already freed (or being stored again) only misses.
        if (Interlocked.CompareExchange(ref _state[index], Empty, state) == state)
        {
            if (check == EntryCheck.Rejected)
            {
                Report.Rejected();
            }

            if (state == InFile)
            {
                Report.FileEntryRemoved();
            }
        }

        return null;
    }

    /// <summary>Stores a sample's pixels unless its slot is taken: in memory while the budget allows, else in the file, else nowhere.</summary>
    public void Store(int index, Mat image) => Store(index, image, null);

    /// <summary>As <see cref="Store(int, Mat)"/>, with the decode geometry that gave the pixels (required when the store keeps geometry).</summary>
    public void Store(int index, Mat image, Targets.DecodeGeometry? geometry)
    {
        if (image.Width != _width || image.Height != _height || image.Channels() != _channels || image.Depth() != MatType.CV_8U)
        {
            throw new InvalidOperationException($"The decoded-image cache holds 8-bit {_width}x{_height}x{_channels} images, was given {image.Width}x{image.Height}x{image.Channels()}.");
        }

        if ((_geometryBytes > 0) != (geometry is not null))
        {
            throw new InvalidOperationException(_geometryBytes > 0
                ? "This decoded-image cache keeps each entry's decode geometry (the dataset has targets), and none was given."
                : "This decoded-image cache keeps no decode geometry (the dataset has no targets), and one was given.");
        }

        if (Interlocked.CompareExchange(ref _state[index], Busy, Empty) != Empty)
        {
            return; // Stored (or being stored) by another epoch's visit of the same sample.
        }

        int state = NotCached;
        try
        {
            if (!_options.KeepFile && Report.TryReserveMemory(_entryBytes))
            {
                byte[] entry = GC.AllocateUninitializedArray<byte>(_entryBytes);
                CopyPixels(image, entry);
                geometry?.WriteTo(entry.AsSpan(_pixelBytes));
                _memory[index] = entry;
                state = InMemory;
            }
            else if (_path is not null && WriteToFile(index, image, geometry))
            {
                Report.FileEntryAdded();
                state = InFile;
            }

            if (state != NotCached)
            {
                Report.StoredOne();
            }
        }
        finally
        {
            Volatile.Write(ref _state[index], state);
        }
    }

    /// <summary>Closes the file and deletes it, unless it is kept.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        lock (_fileLock)
        {
            _file?.Dispose();
            _file = null;
            if (!_options.KeepFile && _path is not null)
            {
                File.Delete(_path);
            }
        }

        Array.Clear(_memory);
    }

    private void CopyPixels(Mat image, Span<byte> destination)
    {
        int rowBytes = _width * _channels;
        byte* pixels = (byte*)image.DataPointer;
        long step = image.Step();
        for (int y = 0; y < _height; y++)
        {
            new ReadOnlySpan<byte>(pixels + y * step, rowBytes).CopyTo(destination.Slice(y * rowBytes, rowBytes));
        }
    }

    private long SlotOffset(int index) => HeaderBytes + index * SlotBytes;

    /// <summary>Writes the entry (payload, then its header); false when the file is given up (now or before).</summary>
    private bool WriteToFile(int index, Mat image, Targets.DecodeGeometry? geometry)
    {
        SafeFileHandle? file = EnsureFile();
        if (file is null)
        {
            return false;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(EntryHeaderBytes + _entryBytes);
        try
        {
            Span<byte> header = buffer.AsSpan(0, EntryHeaderBytes);
            Span<byte> payload = buffer.AsSpan(EntryHeaderBytes, _entryBytes);
            CopyPixels(image, payload);
            geometry?.WriteTo(payload[_pixelBytes..]);
            header.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(header, EntryMarker);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], _entryBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], XxHash3.HashToUInt64(payload));
            long offset = SlotOffset(index);
            RandomAccess.Write(file, payload, offset + EntryHeaderBytes);
            RandomAccess.Write(file, header, offset);
            return true;
        }
        catch (IOException e)
        {
            GiveUpFile(e);
            return false;
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) == 1)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum EntryCheck
    {
        Valid,
        NotWritten,
        Rejected,
    }

    /// <summary>Reads a slot's payload into <paramref name="pixels"/> and <paramref name="geometry"/> and checks it against the slot's header.</summary>
    private EntryCheck ReadEntry(int index, Span<byte> pixels, Span<byte> geometry)
    {
        SafeFileHandle? file = Volatile.Read(ref _file);
        if (file is null)
        {
            return EntryCheck.Rejected;
        }

        Span<byte> header = stackalloc byte[EntryHeaderBytes];
        long offset = SlotOffset(index);
        try
        {
            if (ReadFully(file, header, offset) < EntryHeaderBytes)
            {
                return EntryCheck.Rejected;
            }

            uint marker = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (marker == 0 && Volatile.Read(ref _state[index]) == Kept)
            {
                return EntryCheck.NotWritten; // A slot of a kept file that no run has written.
            }

            if (marker != EntryMarker
                || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != _entryBytes
                || ReadFully(file, pixels, offset + EntryHeaderBytes) != _pixelBytes
                || ReadFully(file, geometry, offset + EntryHeaderBytes + _pixelBytes) != _geometryBytes)
            {
                return EntryCheck.Rejected;
            }

            // The checksum of the whole payload, as written in one piece.
            var checksum = new XxHash3();
            checksum.Append(pixels);
            checksum.Append(geometry);
            return BinaryPrimitives.ReadUInt64LittleEndian(header[8..]) == checksum.GetCurrentHashAsUInt64() ? EntryCheck.Valid : EntryCheck.Rejected;
        }
        catch (IOException)
        {
            return EntryCheck.Rejected;
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) == 1)
        {
            return EntryCheck.Rejected;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; the bytes read.</summary>
    private static int ReadFully(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = RandomAccess.Read(file, buffer[done..], offset + done);
            if (read == 0)
            {
                break;
            }

            done += read;
        }

        return done;
    }

    /// <summary>The file, created on the first entry past the budget; null once it is given up.</summary>
    private SafeFileHandle? EnsureFile()
    {
        SafeFileHandle? file = Volatile.Read(ref _file);
        if (file is not null || Volatile.Read(ref _fileGivenUp) == 1)
        {
            return file;
        }

        lock (_fileLock)
        {
            ObjectDisposedException.ThrowIf(_disposed == 1, this);
            if (_file is null && _fileGivenUp == 0)
            {
                try
                {
                    Create();
                }
                catch (IOException e)
                {
                    GiveUpFile(e);
                }
            }

            return _file;
        }
    }

    /// <summary>
    /// Stops writing the file after a failed write (a full disk, above all): the entries already in it are still served,
    /// the samples not yet cached are decoded in every epoch, and the report says so.
    /// </summary>
    private void GiveUpFile(IOException e)
    {
        if (Interlocked.Exchange(ref _fileGivenUp, 1) == 0)
        {
            Report.FileDisabled = $"writing the cache file '{_path}' failed ({e.Message}); the file needs up to {FileLength} bytes " +
                $"({_state.Length} entries of {SlotBytes} bytes) in the folder '{Path.GetDirectoryName(_path)}': the samples not yet cached are decoded in every epoch";
        }
    }

    /// <summary>Opens a kept file whose header matches and lists its slots as kept; any other file is rebuilt.</summary>
    private void OpenKept()
    {
        if (File.Exists(_path) && HeaderMismatch(_path!) is string reason)
        {
            Report.FileRebuilt = reason;
        }
        else if (File.Exists(_path))
        {
            _file = File.OpenHandle(_path!, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            Array.Fill(_state, Kept);
            return;
        }

        try
        {
            Create();
        }
        catch (IOException e)
        {
            GiveUpFile(e);
        }
    }

    /// <summary>Why the file at <paramref name="path"/> cannot be used, or null when its header is this run's.</summary>
    private string? HeaderMismatch(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (stream.Length < HeaderBytes || stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || !header[..8].SequenceEqual(Magic))
        {
            return "it is not a decoded-image cache file (no header or unknown magic)";
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != FormatVersion)
        {
            return $"its format version is {version}, this library writes {FormatVersion}";
        }

        Span<byte> expected = stackalloc byte[HeaderBytes];
        WriteHeader(expected);
        if (!header.SequenceEqual(expected))
        {
            return "it was written for another dataset or other decode options (its fingerprint or sizes differ)";
        }

        return stream.Length == FileLength ? null : $"its length is {stream.Length} bytes where this dataset and cache size need {FileLength} (truncated or extended)";
    }

    private void WriteHeader(Span<byte> header)
    {
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], _width);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], _height);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], _channels);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], _state.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], _entryBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], _fingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(header[40..], _geometryBytes);
    }

    /// <summary>A new, empty file (sparse: slots take disk space only once written); any file there is replaced.</summary>
    /// <exception cref="IOException">The file cannot be created or its header written (a full disk); none is left behind.</exception>
    private void Create()
    {
        SafeFileHandle file = File.OpenHandle(_path!, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        try
        {
            RandomAccess.SetLength(file, FileLength);
            Span<byte> header = stackalloc byte[HeaderBytes];
            WriteHeader(header);
            RandomAccess.Write(file, header, 0);
        }
        catch
        {
            file.Dispose();
            File.Delete(_path!);
            throw;
        }

        Volatile.Write(ref _file, file);
    }
}
