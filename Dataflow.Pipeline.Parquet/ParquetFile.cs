namespace Dataflow.Pipeline.Sources;

/// <summary>One Parquet file as discovery found it: where it is, its footer's bytes, the image column and the rows of each row group.</summary>
internal sealed class ParquetFile
{
    public ParquetFile(IObjectStore store, string key, string name, long size, byte[] tail)
    {
        Store = store;
        Key = key;
        Name = name;
        Size = size;
        Tail = tail;
    }

    public IObjectStore Store { get; }

    public string Key { get; }

    /// <summary>The file's path or URL, for ids and messages.</summary>
    public string Name { get; }

    public long Size { get; }

    /// <summary>The file's last bytes (its footer), read once: opening a reader per row group reads them from memory.</summary>
    public byte[] Tail { get; }

    /// <summary>The leaf column of the images' bytes.</summary>
    public int ImageColumn { get; set; }

    /// <summary>The image column's definition level of a present value (nulls have less).</summary>
    public short ImageMaxDefinition { get; set; }

    /// <summary>The <c>ClassLabel</c> names of the file's metadata, or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>Rows per row group.</summary>
    public int[] RowGroups { get; set; } = [];

    /// <summary>The file's row index of each row group's first row.</summary>
    public long[] FirstRow { get; set; } = [];

    /// <summary>Each row group's labels (int.MinValue for null), until discovery has made the samples.</summary>
    public int[][] Labels { get; set; } = [];

    /// <summary>Each row group's boxes (an objects column), until discovery has made the samples; null for a file without one.</summary>
    public Targets.BoundingBoxes[][]? Boxes { get; set; }

    /// <summary>The largest label of any row (-1 when none).</summary>
    public int LargestLabel => Labels.Length == 0 ? -1 : Labels.Max(l => l.Length == 0 ? -1 : l.Max());

    public StoreFileStream OpenStream() => new(Store, Key, Size, Tail);

    private readonly System.Collections.Concurrent.ConcurrentBag<(ParquetSharp.ParquetFileReader Reader, StoreFileStream Stream)> _readers = [];

    /// <summary>
    /// A reader of the file, opened once and reused (its footer parsed once, not per row group): one reader serves one
    /// row group at a time, so parallel reads of the file open more, and <see cref="ReturnReader"/> keeps up to two.
    /// </summary>
    public (ParquetSharp.ParquetFileReader Reader, StoreFileStream Stream) RentReader()
    {
        if (_readers.TryTake(out var pair))
        {
            return pair;
        }

        StoreFileStream stream = OpenStream();
        return (ParquetSampleSource.OpenReader(this, stream), stream);
    }

    /// <summary>Keeps a reader for the next row group, or disposes it when two are kept already (or it failed).</summary>
    public void ReturnReader((ParquetSharp.ParquetFileReader Reader, StoreFileStream Stream) pair, bool healthy)
    {
        if (healthy && _readers.Count < 2)
        {
            _readers.Add(pair);
            return;
        }

        pair.Reader.Dispose();
        pair.Stream.Dispose();
    }

    public override string ToString() => Name;
}

/// <summary>Where a Parquet sample is: its file, row group and row within it; the row group's ordinal among the dataset's is its shard.</summary>
internal sealed record ParquetRow(ParquetFile File, int RowGroup, int Row, int Shard) : IShardPosition
{
    public override string ToString() => $"{File.Name} row group {RowGroup} row {Row}";
}

/// <summary>
/// A row group's images, read once: each row's bytes in an array rented from the shared pool until that row is read (taken), so what
/// is held is the rows read ahead and not yet asked for, not whole row groups kept for one straggler; a null cell has
/// length -1.
/// </summary>
internal sealed class RowGroupImages
{
    private readonly byte[]?[] _rows;
    private readonly int[] _lengths;

    public RowGroupImages(byte[]?[] rows, int[] lengths)
    {
        _rows = rows;
        _lengths = lengths;
        foreach (byte[]? row in rows)
        {
            Held += row?.Length ?? 0;
        }
    }

    /// <summary>Bytes held by the rows not yet taken (under the cache's lock).</summary>
    public long Held { get; private set; }

    /// <summary>The length of row <paramref name="row"/>'s bytes, -1 for a null cell.</summary>
    public int LengthOf(int row) => _lengths[row];

    /// <summary>Returns the rows not taken to the shared pool (the row group is let go; under the cache's lock).</summary>
    public void ReturnAll()
    {
        for (int row = 0; row < _rows.Length; row++)
        {
            if (_rows[row] is byte[] bytes)
            {
                _rows[row] = null;
                _lengths[row] = 0;
                Held -= bytes.Length;
                System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }

    /// <summary>True when row <paramref name="row"/> has bytes and they were taken (under the cache's lock).</summary>
    public bool IsTaken(int row) => _rows[row] is null && _lengths[row] >= 0;

    /// <summary>Takes row <paramref name="row"/>'s bytes (under the cache's lock); null when taken already.</summary>
    public byte[]? Take(int row)
    {
        byte[]? bytes = _rows[row];
        _rows[row] = null;
        Held -= bytes?.Length ?? 0;
        return bytes;
    }
}
