using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Class folders stored as loose objects (<c>s3://bucket/prefix/cat/1.jpg</c>, <c>az://container/prefix/dog/2.png</c>,
/// or a local folder through <see cref="LocalObjectStore"/>): the first path component under the prefix is the class.
/// Classes and files are sorted by code point as <see cref="FolderSampleSource"/> sorts them, so the same tree gives
/// the same samples, labels and order wherever it is stored.
/// </summary>
/// <remarks>
/// Discovery is one listing of the prefix; each sample is then one GET of the whole object, counted against
/// <see cref="StorageOptions.MaxBytesInFlight"/>. Objects directly under the prefix, hidden names (a leading dot) and
/// other extensions are listed in <see cref="SampleSet.Ignored"/>. A sample's id is its location
/// (<c>s3://bucket/prefix/cat/1.jpg</c>). The source owns the stores it opened: dispose it after the run.
/// </remarks>
public sealed class ObjectFolderSampleSource : ISampleSource, IDisposable
{
    private readonly StorageOptions _storage;
    private readonly HashSet<string> _extensions;
    private readonly List<IObjectStore> _stores = [];

    /// <summary>Creates a source.</summary>
    /// <param name="storage">How object storage is reached.</param>
    /// <param name="extensions">The image extensions (with the dot); null for <see cref="FolderSampleSource.DefaultExtensions"/>.</param>
    public ObjectFolderSampleSource(StorageOptions? storage = null, IEnumerable<string>? extensions = null)
    {
        _storage = storage ?? StorageOptions.Default;
        _storage.Validate();
        _extensions = new HashSet<string>(extensions ?? FolderSampleSource.DefaultExtensions, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Objects with more bytes are refused unread, naming the object and the limit.</summary>
    /// <value>256 MiB, as <see cref="PipelineOptions.MaxFileBytes"/>.</value>
    public long MaxObjectBytes { get; init; } = PipelineOptions.DefaultMaxFileBytes;

    /// <summary>The stores opened for the roots discovered so far.</summary>
    public IReadOnlyList<IObjectStore> Stores => _stores;

    /// <inheritdoc />
    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException("No dataset location was posted to the pipeline before it was completed.");
        }

        var ignored = new List<IgnoredEntry>();
        var byClass = new Dictionary<string, List<(IObjectStore Store, StoredObject Item)>>(StringComparer.Ordinal);
        foreach (string root in roots)
        {
            StorageLocation location = StorageLocation.Open(root, _storage);
            _stores.Add(location.Store);
            await location.Store.CheckAccessAsync(cancellationToken).ConfigureAwait(false);
            int before = byClass.Sum(c => c.Value.Count);
            await foreach (StoredObject item in location.Store.ListAsync(location.Prefix, cancellationToken).ConfigureAwait(false))
            {
                string relative = item.Key[location.Prefix.Length..];
                int slash = relative.IndexOf('/');
                string name = relative[(relative.LastIndexOf('/') + 1)..];
                if (slash <= 0)
                {
                    ignored.Add(new IgnoredEntry(location.Store.Describe(item.Key), "object directly under the prefix, not inside a class folder"));
                }
                else if (name.StartsWith('.') || relative.Contains("/.", StringComparison.Ordinal) || relative.StartsWith('.'))
                {
                    continue; // hidden, as the folder source passes over hidden files
                }
                else if (!_extensions.Contains(Path.GetExtension(name)))
                {
                    ignored.Add(new IgnoredEntry(location.Store.Describe(item.Key), "not an image file extension"));
                }
                else
                {
                    string className = relative[..slash];
                    if (!byClass.TryGetValue(className, out var list))
                    {
                        byClass[className] = list = [];
                    }

                    list.Add((location.Store, item));
                }
            }

            if (byClass.Sum(c => c.Value.Count) == before)
            {
                throw new DirectoryNotFoundException($"The location '{location.Store.Describe(location.Prefix)}' holds no class folders with image objects.");
            }
        }

        var classNames = byClass.Keys.Order(CodePointComparer.Instance).ToList();
        var samples = new List<SampleInfo>();
        for (int label = 0; label < classNames.Count; label++)
        {
            foreach (var (store, item) in byClass[classNames[label]].OrderBy(o => o.Store.Describe(o.Item.Key), CodePointComparer.Instance))
            {
                if (item.Size > Array.MaxLength)
                {
                    ignored.Add(new IgnoredEntry(store.Describe(item.Key), $"object is {item.Size} bytes, more than one buffer can hold"));
                    continue;
                }

                samples.Add(new SampleInfo(samples.Count, store.Describe(item.Key), label) { State = new ObjectRef(store, item.Key, (int)item.Size) });
            }
        }

        ignored.Sort((a, b) => CodePointComparer.Instance.Compare(a.Path, b.Path));
        return new SampleSet(classNames, samples, ignored);
    }

    /// <inheritdoc />
    public async ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        var o = sample.State as ObjectRef
            ?? throw new ArgumentException($"Sample {sample} was not discovered by an {nameof(ObjectFolderSampleSource)}.", nameof(sample));
        if (o.Size > MaxObjectBytes)
        {
            throw new IOException($"The object '{sample.Id}' is {o.Size} bytes, above the limit of {MaxObjectBytes} bytes ({nameof(MaxObjectBytes)}): not read.");
        }

        return await ObjectReads.ReadExactAsync(o.Store, o.Key, 0, o.Size, pool,
            read => new IOException($"The object '{sample.Id}' has {read} bytes; it had {o.Size} when listed (it changed during the run)."),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the stores opened by discovery.</summary>
    public void Dispose() => ObjectReads.DisposeAll(_stores);

    private sealed record ObjectRef(IObjectStore Store, string Key, int Size);
}
