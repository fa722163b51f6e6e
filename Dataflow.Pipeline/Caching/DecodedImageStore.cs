using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using OpenCvSharp;

namespace Dataflow.Pipeline.Caching;

/// <summary>
/// The entries of the decoded-image cache, one slot per sample index: 8-bit pixels of a fixed size, in memory up to
/// the budget, past it in a memory-mapped file. Each slot is written once (the first sample to claim it) and then only read.
/// </summary>
/// <remarks>
/// <para>File layout (little-endian): a 64-byte header — magic <c>DFIMGCCH</c>, format version, width, height, channels,
/// sample count, entry length, the fingerprint of the dataset and decode options — then one slot per sample index at
/// <c>64 + index × (16 + entry length)</c>: a marker, the payload's length, its XxHash3 checksum, the payload. The
/// marker is written last. A file whose header differs in any field is rebuilt; a kept entry is used only after its
/// marker, length and checksum are verified (once per run), otherwise it is decoded again and rewritten.</para>
/// </remarks>
internal sealed unsafe class DecodedImageStore : IDisposable
{
    /// <summary>The on-disk format; a file of any other version is rebuilt.</summary>
    public const int FormatVersion = 1;

    private const int HeaderBytes = 64;
    private const int EntryHeaderBytes = 16;
    private const uint EntryMarker = 0x59525445; // "ETRY"
    private static ReadOnlySpan<byte> Magic => "DFIMGCCH"u8;

    // Slot states. Busy: being written or verified by one sample; the others treat it as a miss meanwhile.
    private const int Empty = 0, Busy = 1, InMemory = 2, InFile = 3, KeptUnverified = 4, NotCached = 5;

    private readonly DecodedImageCacheOptions _options;
    private readonly int _width, _height, _channels, _entryBytes;
    private readonly ulong _fingerprint;
    private readonly int[] _state;
    private readonly byte[]?[] _memory;
    private readonly object _fileLock = new();
    private readonly string? _path;
    private MemoryMappedFile? _file;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private int _disposed;

    public DecodedImageStore(DecodedImageCacheOptions options, int width, int height, int channels, int count, ulong fingerprint)
    {
        _options = options;
        _width = width;
        _height = height;
        _channels = channels;
        _entryBytes = width * height * channels;
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

    /// <summary>True when the sample's pixels are in the cache (a kept entry is verified here, on its first use in the run).</summary>
    public bool Contains(int index)
    {
        int state = Volatile.Read(ref _state[index]);
        if (state is InMemory or InFile)
        {
            return true;
        }

        if (state != KeptUnverified || Interlocked.CompareExchange(ref _state[index], Busy, KeptUnverified) != KeptUnverified)
        {
            return false;
        }

        if (EntryIsValid(index))
        {
            Report.FileEntryAdded();
            Volatile.Write(ref _state[index], InFile);
            return true;
        }

        Report.Rejected();
        Volatile.Write(ref _state[index], Empty);
        return false;
    }

    /// <summary>A new Mat holding the cached pixels of a sample for which <see cref="Contains"/> was true; the caller owns it.</summary>
    public Mat Load(int index)
    {
        var image = new Mat(_height, _width, MatType.CV_8UC(_channels));
        try
        {
            byte* source = Volatile.Read(ref _state[index]) switch
            {
                InFile => Slot(index) + EntryHeaderBytes,
                InMemory => null,
                _ => throw new InvalidOperationException($"Sample #{index} is not in the decoded-image cache."),
            };
            var destination = new Span<byte>((void*)image.DataPointer, _entryBytes);
            if (source is null)
            {
                _memory[index].AsSpan().CopyTo(destination);
            }
            else
            {
                new ReadOnlySpan<byte>(source, _entryBytes).CopyTo(destination);
            }
        }
        catch
        {
            image.Dispose();
            throw;
        }

        Report.Hit();
        return image;
    }

    /// <summary>Stores a sample's pixels unless its slot is taken: in memory while the budget allows, else in the file, else nowhere.</summary>
    public void Store(int index, Mat image)
    {
        if (image.Width != _width || image.Height != _height || image.Channels() != _channels || image.Depth() != MatType.CV_8U)
        {
            throw new InvalidOperationException($"The decoded-image cache holds 8-bit {_width}x{_height}x{_channels} images, was given {image.Width}x{image.Height}x{image.Channels()}.");
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
                _memory[index] = entry;
                state = InMemory;
            }
            else if (_path is not null)
            {
                WriteToFile(index, image);
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

    /// <summary>Unmaps the file and deletes it, unless it is kept.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        lock (_fileLock)
        {
            if (_view is not null)
            {
                if (_options.KeepFile)
                {
                    _view.Flush();
                }

                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _file!.Dispose();
                _view = null;
                _base = null;
            }

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

    private byte* Slot(int index) => _base + HeaderBytes + index * SlotBytes;

    private void WriteToFile(int index, Mat image)
    {
        EnsureFile();
        byte* slot = Slot(index);
        var payload = new Span<byte>(slot + EntryHeaderBytes, _entryBytes);
        CopyPixels(image, payload);
        var header = new Span<byte>(slot, EntryHeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], _entryBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], XxHash3.HashToUInt64(payload));
        BinaryPrimitives.WriteUInt32LittleEndian(header, EntryMarker);
    }

    private bool EntryIsValid(int index)
    {
        byte* slot = Slot(index);
        var header = new ReadOnlySpan<byte>(slot, EntryHeaderBytes);
        return BinaryPrimitives.ReadUInt32LittleEndian(header) == EntryMarker
            && BinaryPrimitives.ReadInt32LittleEndian(header[4..]) == _entryBytes
            && BinaryPrimitives.ReadUInt64LittleEndian(header[8..]) == XxHash3.HashToUInt64(new ReadOnlySpan<byte>(slot + EntryHeaderBytes, _entryBytes));
    }

    private void EnsureFile()
    {
        if (_base is not null)
        {
            return;
        }

        lock (_fileLock)
        {
            ObjectDisposedException.ThrowIf(_disposed == 1, this);
            if (_base is null)
            {
                Create();
            }
        }
    }

    /// <summary>Opens a kept file whose header matches and lists its entries as unverified; any other file is rebuilt.</summary>
    private void OpenKept()
    {
        if (File.Exists(_path) && HeaderMismatch(_path!) is string reason)
        {
            Report.FileRebuilt = reason;
        }
        else if (File.Exists(_path))
        {
            Map(new FileStream(_path!, FileMode.Open, FileAccess.ReadWrite, FileShare.None));
            for (int i = 0; i < _state.Length; i++)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(Slot(i), 4)) == EntryMarker)
                {
                    _state[i] = KeptUnverified;
                }
            }

            return;
        }

        Create();
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
    }

    /// <summary>A new, empty file (sparse: slots take disk space only once written); any file there is replaced.</summary>
    private void Create()
    {
        var stream = new FileStream(_path!, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        try
        {
            stream.SetLength(FileLength);
            Span<byte> header = stackalloc byte[HeaderBytes];
            WriteHeader(header);
            stream.Write(header);
            stream.Flush();
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        Map(stream);
    }

    private void Map(FileStream stream)
    {
        try
        {
            _file = MemoryMappedFile.CreateFromFile(stream, null, FileLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        _view = _file.CreateViewAccessor(0, FileLength, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
    }
}
