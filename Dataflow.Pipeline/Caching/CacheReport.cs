namespace Dataflow.Pipeline.Caching;

/// <summary>What the decoded-image cache of a run holds and did (<see cref="PipelineReport.Cache"/>); counted, not timed.</summary>
public sealed class CacheReport
{
    private long _memoryEntries;
    private long _memoryBytes;
    private long _fileEntries;
    private long _hits;
    private long _stored;
    private long _rejected;

    internal CacheReport(long memoryBudgetBytes, int entryBytes, string? filePath)
    {
        MemoryBudgetBytes = memoryBudgetBytes;
        EntryBytes = entryBytes;
        FilePath = filePath;
    }

    /// <summary>The memory budget the run was given.</summary>
    public long MemoryBudgetBytes { get; }

    /// <summary>Bytes per entry: its pixels (cache width × height × channels), and for a dataset with targets the decode's geometry (120 bytes).</summary>
    public int EntryBytes { get; }

    /// <summary>The cache file's path, or null without a folder.</summary>
    public string? FilePath { get; }

    /// <summary>Entries held in memory.</summary>
    public long MemoryEntries => Interlocked.Read(ref _memoryEntries);

    /// <summary>Bytes of pixels held in memory; never above <see cref="MemoryBudgetBytes"/>.</summary>
    public long MemoryBytes => Interlocked.Read(ref _memoryBytes);

    /// <summary>Entries held in the file (written by this run, or kept from an earlier one and verified).</summary>
    public long FileEntries => Interlocked.Read(ref _fileEntries);

    /// <summary>Samples served from the cache (read and decode skipped).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Entries stored by this run.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>
    /// Entries of the file that failed their check (marker, length, checksum) when read: written over or truncated by
    /// another process, or corrupt in a kept file. Each is decoded again and rewritten, never served.
    /// </summary>
    public long RejectedEntries => Interlocked.Read(ref _rejected);

    /// <summary>Why an existing cache file was not used and was rebuilt (foreign, corrupt header, other dataset or options); null when it was not.</summary>
    public string? FileRebuilt { get; internal set; }

    /// <summary>
    /// Why the cache file was given up during the run (a write to it failed: above all, a full disk), naming the file, the
    /// folder and the space the file needs; null when it was not. The entries already in the file are still served; the
    /// samples not yet cached are decoded in every epoch.
    /// </summary>
    public string? FileDisabled { get; internal set; }

    internal bool TryReserveMemory(int bytes)
    {
        // Compare-and-swap, so the count never passes the budget, even for a moment.
        long held = Interlocked.Read(ref _memoryBytes);
        while (held + bytes <= MemoryBudgetBytes)
        {
            long seen = Interlocked.CompareExchange(ref _memoryBytes, held + bytes, held);
            if (seen == held)
            {
                Interlocked.Increment(ref _memoryEntries);
                return true;
            }

            held = seen;
        }

        return false;
    }

    internal void FileEntryAdded() => Interlocked.Increment(ref _fileEntries);

    internal void FileEntryRemoved() => Interlocked.Decrement(ref _fileEntries);

    internal void Hit() => Interlocked.Increment(ref _hits);

    internal void StoredOne() => Interlocked.Increment(ref _stored);

    internal void Rejected() => Interlocked.Increment(ref _rejected);

    /// <inheritdoc />
    public override string ToString() =>
        $"cache: {MemoryEntries} in memory ({MemoryBytes} of {MemoryBudgetBytes} bytes), {FileEntries} in the file, {Hits} hits, {RejectedEntries} rejected" +
        (FileDisabled is null ? string.Empty : $"; file given up: {FileDisabled}");
}
