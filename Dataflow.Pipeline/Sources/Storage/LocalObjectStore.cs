using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A local folder as an <see cref="IObjectStore"/>: keys are paths relative to the folder. Reads are positional
/// (<see cref="RandomAccess"/>) on a handle opened once per file and kept until the store is disposed, so reading
/// the members of a shard costs no open per member.
/// </summary>
public sealed class LocalObjectStore : IObjectStore
{
    private readonly ConcurrentDictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Creates a store over <paramref name="root"/>.</summary>
    public LocalObjectStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The folder the keys are relative to.</summary>
    public string Root { get; }

    /// <summary>How many files are held open for positional reads.</summary>
    public int OpenFiles => _handles.Count;

    /// <inheritdoc />
    public string Describe(string key) => PathOf(key);

    /// <inheritdoc />
    public Task CheckAccessAsync(CancellationToken cancellationToken) =>
        Directory.Exists(Root) ? Task.CompletedTask : Task.FromException(new DirectoryNotFoundException($"The dataset folder '{Root}' does not exist."));

    /// <inheritdoc />
    /// <remarks>The folder is walked on the caller's thread and every step completes at once: a local listing has
    /// nothing to wait for, and a walk that hopped threads made the shard source's discovery wait for it.</remarks>
    public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken) =>
        List(prefix, cancellationToken).ToAsyncEnumerable();

    private IEnumerable<StoredObject> List(string prefix, CancellationToken cancellationToken)
    {
        int cut = prefix.LastIndexOf('/');
        string folder = cut < 0 ? Root : PathOf(prefix[..cut]);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
        foreach (string file in Directory.EnumerateFiles(folder, "*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string key = Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new StoredObject(key, new FileInfo(file).Length);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>A range is read with positional reads on the handle the store keeps open for the file, on the caller's
    /// thread (<see cref="LocalRangeStream"/>): the asynchronous reads complete at once, without a thread-pool hop per read
    /// and without an open per range. To the end, it is a <see cref="FileStream"/> of its own.</remarks>
    public Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        _ = ObjectReads.IsEmptyRange(offset, length);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<Stream>(cancellationToken);
        }

        try
        {
            if (length is long count)
            {
                return Task.FromResult<Stream>(new LocalRangeStream(HandleOf(key), offset, offset + count));
            }

            string path = PathOf(key);
            Reading.FileReader.EnsureRegular(path);
            var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 16, Options = FileOptions.SequentialScan });
            stream.Position = offset;
            return Task.FromResult<Stream>(stream);
        }
        catch (Exception e)
        {
            return Task.FromException<Stream>(e);
        }
    }

    /// <summary>Closes the files held open.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (string key in _handles.Keys)
        {
            if (_handles.TryRemove(key, out SafeFileHandle? handle))
            {
                handle.Dispose();
            }
        }
    }

    private string PathOf(string key) => key.Length == 0 ? Root : Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar));

    private SafeFileHandle HandleOf(string key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_handles.TryGetValue(key, out SafeFileHandle? handle))
        {
            return handle;
        }

        string path = PathOf(key);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The file '{path}' does not exist.", path);
        }

        Reading.FileReader.EnsureRegular(path);
        handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (_handles.TryAdd(key, handle))
        {
            return handle;
        }

        handle.Dispose(); // another reader opened it first
        return _handles[key];
    }
}
