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

    /// <summary>The largest label of any row (-1 when none).</summary>
    public int LargestLabel => Labels.Length == 0 ? -1 : Labels.Max(l => l.Length == 0 ? -1 : l.Max());

    public StoreFileStream OpenStream() => new(Store, Key, Size, Tail);

    public override string ToString() => Name;
}

/// <summary>Where a Parquet sample is: its file, row group and row within it; the row group's ordinal among the dataset's is its shard.</summary>
internal sealed record ParquetRow(ParquetFile File, int RowGroup, int Row, int Shard) : IShardPosition
{
    public override string ToString() => $"{File.Name} row group {RowGroup} row {Row}";
}

/// <summary>A row group's images, read once: every cell's bytes one after another; a null cell has length -1.</summary>
internal sealed class RowGroupImages
{
    private readonly int[] _starts;
    private readonly int[] _lengths;

    public RowGroupImages(byte[] bytes, int[] starts, int[] lengths)
    {
        Bytes = bytes;
        _starts = starts;
        _lengths = lengths;
    }

    public byte[] Bytes { get; }

    /// <summary>What the images hold in memory.</summary>
    public long Size => Bytes.Length + 8L * _starts.Length;

    public (int Start, int Length) Cell(int row) => (_starts[row], _lengths[row]);
}
