using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A class-folder dataset discovered from its <see cref="FolderIndex"/> instead of listing the tree: a run over a
/// million files starts at once. The root posted to the pipeline is the dataset root; the index is read from
/// <c>root/.dataflow-index.json</c> or from <see cref="IndexPath"/>.
/// </summary>
/// <remarks>
/// The index is never trusted silently. Each read checks that the file exists and has the indexed size (the read
/// learns the size anyway), and a difference fails that sample with a <see cref="StaleIndexException"/> naming the
/// file, handled by the pipeline's error policy (skipped and reported, or the run faults). With
/// <see cref="VerifyAtStart"/> every file's size is checked before the run starts (one stat per file: the cost of a
/// listing, without its sorting) and any difference refuses the run.
/// </remarks>
public sealed class IndexedFolderSampleSource : ISampleSource
{
    private long[] _sizes = [];
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
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PooledBuffer>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Read(sample, pool));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<PooledBuffer>(e);
        }
    }

    private SampleSet Discover(string root, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(root);
        _indexPath = IndexPath is null ? Path.Combine(full, FolderIndex.FileName) : Path.GetFullPath(IndexPath);
        if (!File.Exists(_indexPath))
        {
            throw new FileNotFoundException($"The folder index '{_indexPath}' does not exist; write it with FolderIndex.Create (the samples' index command).", _indexPath);
        }

        FolderIndex index;
        using (var stream = new FileStream(_indexPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            index = FolderIndex.Load(stream, _indexPath);
        }

        var samples = new SampleInfo[index.Files.Count];
        var sizes = new long[index.Files.Count];
        var differences = new List<string>();
        for (int i = 0; i < samples.Length; i++)
        {
            FolderIndexEntry entry = index.Files[i];
            string path = Path.Combine(full, entry.Path);
            samples[i] = new SampleInfo(i, path, entry.Label);
            sizes[i] = entry.Size;
            if (VerifyAtStart)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var info = new FileInfo(path);
                if (!info.Exists)
                {
                    differences.Add($"file '{path}' is missing");
                }
                else if (info.Length != entry.Size)
                {
                    differences.Add($"file '{path}' is {info.Length} bytes, the index says {entry.Size}");
                }
            }
        }

        if (differences.Count > 0)
        {
            throw new StaleIndexException(_indexPath, differences);
        }

        _sizes = sizes;
        return new SampleSet(index.Classes, samples);
    }

    private PooledBuffer Read(SampleInfo sample, BufferPool pool)
    {
        long expected = (uint)sample.Index < (uint)_sizes.Length ? _sizes[sample.Index] : -1;
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(sample.Id, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StaleIndexException(_indexPath, [$"file '{sample.Id}' is missing"]);
        }

        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            if (length != expected)
            {
                throw new StaleIndexException(_indexPath, [$"file '{sample.Id}' is {length} bytes, the index says {expected}"]);
            }

            PooledBuffer buffer = pool.Rent((int)length);
            try
            {
                int total = 0;
                while (total < length)
                {
                    int read = RandomAccess.Read(handle, buffer.Array.AsSpan(total, (int)length - total), total);
                    if (read == 0)
                    {
                        throw new StaleIndexException(_indexPath, [$"file '{sample.Id}' ended after {total} of {length} bytes"]);
                    }

                    total += read;
                }

                return buffer;
            }
            catch
            {
                buffer.Dispose();
                throw;
            }
        }
    }
}
