using System.Runtime.CompilerServices;
using System.Text;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A folder index held compactly: each file's name (its path's last component) as UTF-8 in shared buffers, 4 bytes
/// of offset and 4 of size per file, and one run per folder of consecutive files (the folder's path and the class).
/// A million files in 100 folders take about 22 MB instead of the ~300 bytes per file of a string and an object each.
/// </summary>
/// <remarks>
/// Files keep their index order; a folder whose files are not consecutive (sub-folders sorted among its files)
/// takes several runs. Names are stored in chunks of <see cref="ChunkSize"/> files, so no buffer grows past a
/// few megabytes and offsets fit in 32 bits whatever the number of files.
/// </remarks>
internal sealed class FolderIndexTable
{
    private const int ChunkShift = 16;

    /// <summary>Files per name chunk.</summary>
    public const int ChunkSize = 1 << ChunkShift;

    private readonly List<byte[]> _chunks = [];
    private readonly List<Run> _runs = [];
    private byte[] _open = new byte[1 << 12];
    private int _openLength;
    private int[] _offsets = new int[1 << 10];
    private int[] _sizes = new int[1 << 10];
    private long[]? _largeSizes;
    private int _sizeCount;

    /// <summary>Files in the table.</summary>
    public int Count { get; private set; }

    /// <summary>Sizes added so far (equal to <see cref="Count"/> once every folder is complete).</summary>
    public int SizeCount => _sizeCount;

    /// <summary>The folder runs, in order.</summary>
    public IReadOnlyList<Run> Runs => _runs;

    /// <summary>Bytes held by the table's arrays (names, offsets, sizes), for the memory figures.</summary>
    public long Bytes => _chunks.Sum(c => (long)c.Length) + _open.Length + 4L * _offsets.Length + (_largeSizes is null ? 4L * _sizes.Length : 8L * _largeSizes.Length);

    /// <summary>Sizes the table for <paramref name="count"/> files before the first is added (an index says how many it holds).</summary>
    public void Reserve(int count)
    {
        if (Count == 0 && _sizeCount == 0 && count > _offsets.Length)
        {
            _offsets = new int[count];
            _sizes = new int[count];
        }
    }

    /// <summary>Starts a run of files at the current end; its folder and class are set by <see cref="CompleteRun"/>.</summary>
    public void StartRun() => _runs.Add(new Run(Count, "", -1));

    /// <summary>Sets the folder (relative to the root, <c>/</c> separators, empty for the root) and class of the last run.</summary>
    public void CompleteRun(string folder, int label) => _runs[^1] = _runs[^1] with { Folder = folder, Label = label };

    /// <summary>Adds a file's name, as UTF-8, to the last run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddName(ReadOnlySpan<byte> name)
    {
        int index = Count;
        if ((index & (ChunkSize - 1)) == 0 && index > 0)
        {
            SealChunk();
        }

        if (_openLength + name.Length > _open.Length)
        {
            Array.Resize(ref _open, Math.Max(_open.Length * 2, _openLength + name.Length));
        }

        name.CopyTo(_open.AsSpan(_openLength));
        Grow(ref _offsets, index);
        _offsets[index] = _openLength;
        _openLength += name.Length;
        Count = index + 1;
    }

    /// <summary>Adds the size of the next file (sizes may arrive after the names of their run).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddSize(long size)
    {
        if (_largeSizes is null && size > int.MaxValue)
        {
            _largeSizes = new long[_sizes.Length];
            for (int i = 0; i < _sizeCount; i++)
            {
                _largeSizes[i] = _sizes[i];
            }

            _sizes = [];
        }

        if (_largeSizes is not null)
        {
            Grow(ref _largeSizes, _sizeCount);
            _largeSizes[_sizeCount++] = size;
        }
        else
        {
            Grow(ref _sizes, _sizeCount);
            _sizes[_sizeCount++] = (int)size;
        }
    }

    /// <summary>Adds one file, starting a run when its folder or class differs from the last run's.</summary>
    public void AddFile(string folder, int label, ReadOnlySpan<byte> name, long size)
    {
        if (_runs.Count == 0 || _runs[^1].Label != label || !string.Equals(_runs[^1].Folder, folder, StringComparison.Ordinal))
        {
            StartRun();
            CompleteRun(folder, label);
        }

        AddName(name);
        AddSize(size);
    }

    /// <summary>Trims the buffers once every file is added.</summary>
    public FolderIndexTable Seal()
    {
        if (_openLength > 0 || _chunks.Count == 0)
        {
            SealChunk();
        }

        _open = [];
        Array.Resize(ref _offsets, Count);
        if (_largeSizes is null)
        {
            Array.Resize(ref _sizes, _sizeCount);
        }
        else
        {
            Array.Resize(ref _largeSizes, _sizeCount);
        }

        return this;
    }

    /// <summary>The name of file <paramref name="index"/> as UTF-8.</summary>
    public ReadOnlySpan<byte> NameBytes(int index)
    {
        byte[] chunk = ChunkOf(index, out int length);
        int start = _offsets[index];
        int end = (index & (ChunkSize - 1)) == ChunkSize - 1 || index == Count - 1 ? length : _offsets[index + 1];
        return chunk.AsSpan(start, end - start);
    }

    /// <summary>The name of file <paramref name="index"/>.</summary>
    public string Name(int index) => Encoding.UTF8.GetString(NameBytes(index));

    /// <summary>The size of file <paramref name="index"/> when indexed.</summary>
    public long Size(int index) => _largeSizes is null ? _sizes[index] : _largeSizes[index];

    /// <summary>The run holding file <paramref name="index"/>.</summary>
    public Run RunOf(int index) => _runs[RunIndexOf(index)];

    /// <summary>The position in <see cref="Runs"/> of the run holding file <paramref name="index"/>.</summary>
    public int RunIndexOf(int index)
    {
        int lo = 0, hi = _runs.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (_runs[mid].Start <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>The path of file <paramref name="index"/> relative to the root, with <c>/</c> separators.</summary>
    public string RelativePath(int index)
    {
        string folder = RunOf(index).Folder;
        return folder.Length == 0 ? Name(index) : folder + "/" + Name(index);
    }

    /// <summary>The string <paramref name="prefix"/> followed by the name of file <paramref name="index"/>, in one allocation.</summary>
    public string WithPrefix(string prefix, int index)
    {
        ReadOnlySpan<byte> name = NameBytes(index);
        int chars = Encoding.UTF8.GetCharCount(name);
        return string.Create(prefix.Length + chars, (prefix, this, index), static (span, state) =>
        {
            state.prefix.CopyTo(span);
            Encoding.UTF8.GetChars(state.Item2.NameBytes(state.index), span[state.prefix.Length..]);
        });
    }

    private byte[] ChunkOf(int index, out int length)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The index holds {Count} files.");
        }

        int chunk = index >> ChunkShift;
        if (chunk < _chunks.Count)
        {
            length = _chunks[chunk].Length;
            return _chunks[chunk];
        }

        length = _openLength;
        return _open;
    }

    private void SealChunk()
    {
        _chunks.Add(_open.AsSpan(0, _openLength).ToArray());
        _openLength = 0;
    }

    private static void Grow<T>(ref T[] array, int index)
    {
        if (index >= array.Length)
        {
            Array.Resize(ref array, Math.Max(array.Length * 2, 16));
        }
    }

    /// <summary>Consecutive files from <paramref name="Start"/> in one folder and one class.</summary>
    /// <param name="Start">The first file's index.</param>
    /// <param name="Folder">The folder relative to the root, <c>/</c> separators, empty for the root itself.</param>
    /// <param name="Label">The class.</param>
    public readonly record struct Run(int Start, string Folder, int Label);
}
