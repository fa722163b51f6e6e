using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A class-folder dataset discovered from its <see cref="FolderIndex"/> instead of listing the tree: a run over a
/// million files starts at once. The root posted to the pipeline is the dataset root; the index is read from
/// <c>root/.dataflow-index.json</c> or from <see cref="IndexPath"/>.
/// </summary>
/// <remarks>
/// The index is never trusted silently. At the start every folder it names is checked to exist (one stat per folder,
/// not per file), and a missing one refuses the run with a <see cref="StaleIndexException"/>. Each read then checks
/// that the file exists and has the indexed size (the read learns the size anyway), and a difference fails that
/// sample with a <see cref="StaleIndexException"/> naming the file, handled by the pipeline's error policy (skipped
/// and reported, or the run faults). With <see cref="VerifyAtStart"/> every file's size is checked before the run
/// starts (one stat per file: the cost of a listing, without its sorting) and any difference refuses the run.
/// Files added to the tree after indexing are not seen: the index is the dataset.
/// <para>
/// The samples are held compactly (see <see cref="FolderIndex"/>): each <see cref="SampleInfo"/> is made when the
/// plan reaches it, so a million samples cost about 20 bytes each rather than an object and a path string each.
/// </para>
/// </remarks>
public sealed class IndexedFolderSampleSource : ISampleSource
{
    private FolderIndexTable? _table;
    private string _indexPath = "";

    /// <summary>The index file; null for <c>root/.dataflow-index.json</c>.</summary>
    public string? IndexPath { get; init; }

    /// <summary>Check every file's size at the start (refusing a stale index before any work) instead of at each read.</summary>
    /// <value>false.</value>
    public bool VerifyAtStart { get; init; }

    /// <inheritdoc />
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != 1)
        {
            throw new InvalidOperationException($"An indexed folder source reads one dataset root; {roots.Count} were posted.");
        }

        return Task.Run(() => Discover(roots[0], cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        Reading.SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.Read(info, buffers));

    private SampleSet Discover(string root, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(root);
        _indexPath = IndexPath is null ? Path.Combine(full, FolderIndex.FileName) : Path.GetFullPath(IndexPath);
        if (!File.Exists(_indexPath))
        {
            throw new FileNotFoundException($"The folder index '{_indexPath}' does not exist; write it with FolderIndex.Create (the samples' index command).", _indexPath);
        }

        FolderIndex index;
        using (var stream = new FileStream(_indexPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            index = FolderIndex.Load(stream, _indexPath);
        }

        var samples = new Samples(full, index.Table);
        var differences = new List<string>();
        foreach (FolderIndexTable.Run run in index.Table.Runs)
        {
            if ((uint)run.Label >= (uint)index.Classes.Count)
            {
                throw new InvalidDataException($"The folder index '{_indexPath}' gives folder \"{run.Folder}\" label {run.Label}; there are {index.Classes.Count} classes.");
            }
        }

        // One stat per folder: a class folder gone since indexing refuses the run at once.
        foreach (string folder in samples.Runs.Select(run => run.Folder).Distinct(StringComparer.Ordinal))
        {
            if (!Directory.Exists(folder))
            {
                differences.Add($"folder '{folder.TrimEnd(Path.DirectorySeparatorChar)}' is missing");
            }
        }

        for (int i = 0; VerifyAtStart && differences.Count == 0 && i < samples.Count; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            string path = samples.PathOf(i);
            var info = new FileInfo(path);
            long size = index.Table.Size(i);
            if (!info.Exists)
            {
                differences.Add($"file '{path}' is missing");
            }
            else if (info.Length != size)
            {
                differences.Add($"file '{path}' is {info.Length} bytes, the index says {size}");
            }
        }

        if (differences.Count > 0)
        {
            throw new StaleIndexException(_indexPath, differences);
        }

        _table = index.Table;
        return new SampleSet(index.Classes, samples);
    }

    /// <summary>The file reader with every guard of the folder source (a FIFO never opened, <see cref="PipelineOptions.MaxFileBytes"/>, the header check).</summary>
    internal Reading.FileReader Reader { get; init; } = new();

    private PooledBuffer Read(SampleInfo sample, BufferPool pool)
    {
        long expected = _table is not null && (uint)sample.Index < (uint)_table.Count ? _table.Size(sample.Index) : -1;
        PooledBuffer buffer;
        try
        {
            // The folder source's own reader, so that the same file read through the index meets the same guards.
            buffer = Reader.Read(sample.Id, pool);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StaleIndexException(_indexPath, [$"file '{sample.Id}' is missing"]);
        }

        if (buffer.Length != expected)
        {
            long length = buffer.Length;
            buffer.Dispose();
            throw new StaleIndexException(_indexPath, [$"file '{sample.Id}' is {length} bytes, the index says {expected}"]);
        }

        return buffer;
    }

    /// <summary>The index's files as samples, each made when asked for: full path (the folder's prefix and the name) and label.</summary>
    private sealed class Samples : ICompactSamples
    {
        private readonly FolderIndexTable _table;
        private readonly (int Start, string Folder, int Label)[] _runs;

        public Samples(string root, FolderIndexTable table)
        {
            _table = table;
            _runs = [.. table.Runs.Select(run => (run.Start,
                Path.Join(root, run.Folder.Replace('/', Path.DirectorySeparatorChar)).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, run.Label))];
        }

        public IReadOnlyList<(int Start, string Folder, int Label)> Runs => _runs;

        public int Count => _table.Count;

        public SampleInfo this[int index] => new(index, PathOf(index), LabelOf(index));

        public string PathOf(int index) => _table.WithPrefix(_runs[_table.RunIndexOf(index)].Folder, index);

        public int LabelOf(int index) => _table.RunOf(index).Label;

        public ReadOnlySpan<byte> NameOf(int index) => _table.NameBytes(index);

        public IEnumerator<SampleInfo> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
