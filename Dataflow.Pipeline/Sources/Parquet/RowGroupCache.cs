using System.Runtime.InteropServices;
using ParquetSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The row groups whose images are in memory, most recently used first, within a byte budget: each row group is read
/// once (concurrent reads of its samples wait for the same read) and its images served from here while it is kept.
/// </summary>
internal sealed class RowGroupCache
{
    private readonly long _budget;
    private readonly object _lock = new();
    private readonly Dictionary<(ParquetFile File, int Group), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = new();
    private long _bytes;
    private long _loads;
    private long _bytesRead;

    public RowGroupCache(long budget) => _budget = budget;

    public long Loads => Interlocked.Read(ref _loads);

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public async ValueTask<RowGroupImages> GetAsync(ParquetFile file, int group, CancellationToken cancellationToken)
    {
        Task<RowGroupImages> task;
        lock (_lock)
        {
            if (_entries.TryGetValue((file, group), out LinkedListNode<Entry>? node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                task = node.Value.Task;
            }
            else
            {
                // Not tied to this caller's cancellation: other reads of the row group wait for the same task.
                var entry = new Entry(file, group, Task.Run(() => Load(file, group)));
                _entries[(file, group)] = _recent.AddFirst(entry);
                task = entry.Task;
                _ = entry.Task.ContinueWith(t => Loaded(entry, t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Loaded(Entry entry, Task<RowGroupImages> task)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue((entry.File, entry.Group), out LinkedListNode<Entry>? node) || node.Value != entry)
            {
                return;
            }

            entry.Size = task.IsCompletedSuccessfully ? task.Result.Size : 0;
            _bytes += entry.Size;
            // The most recent row group stays whatever its size; older ones go while the budget is passed.
            while (_bytes > _budget && _recent.Last is { } last && last != _recent.First)
            {
                if (!last.Value.Task.IsCompleted)
                {
                    break;
                }

                _recent.RemoveLast();
                _entries.Remove((last.Value.File, last.Value.Group));
                _bytes -= last.Value.Size;
            }
        }
    }

    /// <summary>Reads the row group's image column: one reader over the file (its footer from memory), one ranged read of the column chunk.</summary>
    private RowGroupImages Load(ParquetFile file, int group)
    {
        int rows = file.RowGroups[group];
        long first = file.FirstRow[group];
        using StoreFileStream stream = file.OpenStream();
        try
        {
            using ParquetFileReader reader = ParquetSampleSource.OpenReader(stream);
            using RowGroupReader rowGroup = reader.RowGroup(group);
            long estimate;
            using (ColumnChunkMetaData chunk = rowGroup.MetaData.GetColumnChunkMetaData(file.ImageColumn))
            {
                estimate = Math.Clamp(chunk.TotalUncompressedSize, 1024, Array.MaxLength);
            }

            using var column = (ColumnReader<ByteArray>)rowGroup.Column(file.ImageColumn);
            var starts = new int[rows];
            var lengths = new int[rows];
            byte[] bytes = new byte[estimate];
            int used = 0, done = 0;
            int batch = Math.Clamp(rows, 1, 256);
            var definitions = new short[batch];
            var repetitions = new short[batch];
            var values = new ByteArray[batch];
            while (done < rows && column.HasNext)
            {
                long levels = column.ReadBatch(Math.Min(batch, rows - done), definitions, repetitions, values, out long valuesRead);
                int value = 0;
                for (int i = 0; i < levels; i++, done++)
                {
                    if (file.ImageMaxDefinition > 0 && definitions[i] != file.ImageMaxDefinition)
                    {
                        starts[done] = used;
                        lengths[done] = -1;
                        continue;
                    }

                    ByteArray cell = values[value++];
                    if (used + (long)cell.Length > bytes.Length)
                    {
                        Array.Resize(ref bytes, (int)Math.Min(Array.MaxLength, Math.Max(used + (long)cell.Length, bytes.Length * 2L)));
                    }

                    if (cell.Length > 0)
                    {
                        Marshal.Copy(cell.Pointer, bytes, used, cell.Length);
                    }

                    starts[done] = used;
                    lengths[done] = cell.Length;
                    used += cell.Length;
                }

                if (value != valuesRead)
                {
                    throw new InvalidDataException($"The Parquet file '{file.Name}' row group {group} is damaged: its image column's levels and values disagree.");
                }
            }

            if (done != rows)
            {
                throw new InvalidDataException($"The Parquet file '{file.Name}' row group {group} has {done} images for its {rows} rows (rows {first}..{first + rows - 1}).");
            }

            Interlocked.Increment(ref _loads);
            return new RowGroupImages(bytes, starts, lengths);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"The Parquet file '{file.Name}' row group {group} (rows {first}..{first + rows - 1}) cannot be read: {e.Message}", e);
        }
        finally
        {
            Interlocked.Add(ref _bytesRead, stream.StoreBytes);
        }
    }

    private sealed class Entry(ParquetFile file, int group, Task<RowGroupImages> task)
    {
        public ParquetFile File { get; } = file;

        public int Group { get; } = group;

        public Task<RowGroupImages> Task { get; } = task;

        public long Size { get; set; }
    }
}
