using System.Runtime.InteropServices;
using ParquetSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The rows read and not yet asked for, by row group, oldest row groups let go first while they hold more than a byte
/// budget: a row group is read whole (concurrent reads of its rows wait for the same read), each of its rows is then
/// handed to the read that asks for it (and leaves memory), and a row asked for again (the next epoch) reads its row
/// group again.
/// </summary>
internal sealed class RowGroupCache
{
    private readonly long _budget;
    private readonly object _lock = new();
    private readonly Dictionary<(ParquetFile File, int Group), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = new();
    private long _loads;
    private long _bytesRead;

    public RowGroupCache(long budget) => _budget = budget;

    public long Loads => Interlocked.Read(ref _loads);

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Row <paramref name="row"/>'s bytes (null for a null cell), in an array rented from the shared pool (its first <see cref="RowGroupImages.LengthOf"/> bytes): the caller returns it.</summary>
    public async ValueTask<(byte[] Bytes, int Length)?> TakeAsync(ParquetFile file, int group, int row, CancellationToken cancellationToken)
    {
        while (true)
        {
            Entry entry;
            lock (_lock)
            {
                if (_entries.TryGetValue((file, group), out LinkedListNode<Entry>? node) && !node.Value.Spent(row))
                {
                    entry = node.Value;
                }
                else
                {
                    // Not read yet, let go, or this row taken already (a later epoch): the row group is read (again).
                    if (node is not null)
                    {
                        Remove(node);
                    }

                    entry = new Entry(file, group, Task.Run(() => Load(file, group)));
                    node = _recent.AddFirst(entry);
                    _entries[(file, group)] = node;
                    _ = entry.Task.ContinueWith(_ => Loaded(entry), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                // A row group someone waits for is not let go until they have their row.
                entry.Waiting++;
            }

            RowGroupImages? images = null;
            try
            {
                images = await entry.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_lock)
                {
                    entry.Waiting--;
                }
            }

            lock (_lock)
            {
                if (images.LengthOf(row) < 0)
                {
                    return null;
                }

                if (images.Take(row) is byte[] bytes)
                {
                    Trim();
                    return (bytes, images.LengthOf(row));
                }
            }

            // Taken by a read of the same row in the meantime (a sample read twice at once): read the row group again.
        }
    }

    private void Loaded(Entry _)
    {
        lock (_lock)
        {
            Trim();
        }
    }

    /// <summary>Lets go of the oldest row groups while the rows held pass the budget; the newest stays, and so does one being read or waited for.</summary>
    private void Trim()
    {
        long held = 0;
        foreach (Entry entry in _recent)
        {
            held += entry.Task.IsCompletedSuccessfully ? entry.Task.Result.Held : 0;
        }

        for (LinkedListNode<Entry>? node = _recent.Last; held > _budget && node is not null && node != _recent.First;)
        {
            LinkedListNode<Entry>? previous = node.Previous;
            if (node.Value.Task.IsCompleted && node.Value.Waiting == 0)
            {
                held -= node.Value.Task.IsCompletedSuccessfully ? node.Value.Task.Result.Held : 0;
                Remove(node);
            }

            node = previous;
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        _entries.Remove((node.Value.File, node.Value.Group));
        if (node.Value.Task.IsCompletedSuccessfully)
        {
            node.Value.Task.Result.ReturnAll();
        }
    }

    /// <summary>Reads the row group's image column with a reader of the file kept from earlier row groups: one ranged read of the column chunk.</summary>
    private RowGroupImages Load(ParquetFile file, int group)
    {
        int rows = file.RowGroups[group];
        long first = file.FirstRow[group];
        var (reader, stream) = file.RentReader();
        long storeBytes = stream.StoreBytes;
        long chunkBytes = 0;
        bool healthy = false;
        try
        {
            using RowGroupReader rowGroup = reader.RowGroup(group);
            using (ColumnChunkMetaData chunk = rowGroup.MetaData.GetColumnChunkMetaData(file.ImageColumn))
            {
                chunkBytes = chunk.TotalCompressedSize;
            }

            using var column = (ColumnReader<ByteArray>)rowGroup.Column(file.ImageColumn);
            var images = new byte[]?[rows];
            var lengths = new int[rows];
            int done = 0;
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
                        lengths[done] = -1;
                        continue;
                    }

                    ByteArray cell = values[value++];
                    byte[] bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(cell.Length);
                    if (cell.Length > 0)
                    {
                        Marshal.Copy(cell.Pointer, bytes, 0, cell.Length);
                    }

                    images[done] = bytes;
                    lengths[done] = cell.Length;
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
            healthy = true;
            return new RowGroupImages(images, lengths);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"The Parquet file '{file.Name}' row group {group} (rows {first}..{first + rows - 1}) cannot be read: {e.Message}", e);
        }
        finally
        {
            Interlocked.Add(ref _bytesRead, file.Store is LocalObjectStore ? chunkBytes : stream.StoreBytes - storeBytes);
            file.ReturnReader((reader, stream), healthy);
        }
    }

    private sealed class Entry(ParquetFile file, int group, Task<RowGroupImages> task)
    {
        public ParquetFile File { get; } = file;

        public int Group { get; } = group;

        public Task<RowGroupImages> Task { get; } = task;

        /// <summary>True when the row group has been read and <paramref name="row"/> taken from it already.</summary>
        public bool Spent(int row) => Task.IsCompletedSuccessfully && Task.Result.IsTaken(row);

        /// <summary>Reads waiting for the task (under the cache's lock).</summary>
        public int Waiting { get; set; }
    }
}
