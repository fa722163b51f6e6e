using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The files of one kind (Parquet, TFRecord) that a posted root names, as the shard source finds its shards: one file,
/// a brace pattern in the last component (<c>train-{00000..00003}-of-00004.parquet</c>), or a folder or location whose
/// top level holds them (else its <c>data/</c> folder, the Hugging Face layout). Everything else there is listed as
/// ignored with the reason.
/// </summary>
internal static class DatasetFiles
{
    /// <summary>Lists the files <paramref name="root"/> names, sorted by key, and whether the root named them (a file or a pattern); the caller owns the returned store.</summary>
    /// <param name="root">The root posted.</param>
    /// <param name="kind">The files' kind for messages ("Parquet").</param>
    /// <param name="patterns">Their names for messages ("*.parquet").</param>
    /// <param name="isFile">Which names are such files.</param>
    /// <param name="storage">How object storage is reached.</param>
    /// <param name="ignored">Receives what the location holds and is not read.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    /// <exception cref="FileNotFoundException">A file the root names does not exist.</exception>
    /// <exception cref="InvalidDataException">The location holds no such file.</exception>
    public static async Task<(StorageLocation Location, List<StoredObject> Files, bool Named)> ListAsync(string root, string kind, string patterns, Func<string, bool> isFile,
        StorageOptions storage, List<IgnoredEntry> ignored, CancellationToken cancellationToken)
    {
        ShardSelection selection = ShardSelection.Parse(root, isFile);
        StorageLocation location = StorageLocation.Open(selection.Location, storage);
        try
        {
            IObjectStore store = location.Store;
            await store.CheckAccessAsync(cancellationToken).ConfigureAwait(false);
            var top = new Dictionary<string, long>(StringComparer.Ordinal);
            var data = new Dictionary<string, long>(StringComparer.Ordinal);
            var nested = new SortedDictionary<string, int>(CodePointComparer.Instance);
            string prefix = location.Prefix;
            await foreach (StoredObject item in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                int slash = item.Key.IndexOf('/', prefix.Length);
                if (slash < 0)
                {
                    top[item.Key] = item.Size;
                }
                else if (item.Key.AsSpan(prefix.Length, slash - prefix.Length).SequenceEqual("data") && item.Key.IndexOf('/', slash + 1) < 0)
                {
                    data[item.Key] = item.Size;
                }
                else
                {
                    string folder = item.Key[..slash];
                    nested[folder] = nested.GetValueOrDefault(folder) + 1;
                }
            }

            if (selection.Names is not null)
            {
                var missing = selection.Names.Select(n => prefix + n).Where(k => !top.ContainsKey(k)).Order(CodePointComparer.Instance).ToList();
                if (missing.Count > 0)
                {
                    string named = string.Join("', '", missing.Take(5).Select(store.Describe));
                    throw new FileNotFoundException(selection.Names.Count == 1
                        ? $"The {kind} file '{named}' does not exist."
                        : $"The {kind} pattern '{selection.Root}' names {missing.Count} of its {selection.Names.Count} files that do not exist: '{named}'{(missing.Count > 5 ? ", ..." : "")}.", store.Describe(missing[0]));
                }

                return (location, [.. selection.Names.Distinct(StringComparer.Ordinal).Select(n => new StoredObject(prefix + n, top[prefix + n])).OrderBy(o => o.Key, CodePointComparer.Instance)], true);
            }

            bool fromTop = top.Keys.Any(isFile);
            Dictionary<string, long> read = fromTop ? top : data;
            if (!fromTop && !data.Keys.Any(isFile))
            {
                throw new InvalidDataException($"The location '{store.Describe(prefix)}' holds no {kind} files ({patterns}) at its top level or in its data/ folder.");
            }

            foreach (var (key, _) in top.Concat(data).Where(p => !read.ContainsKey(p.Key) || !isFile(p.Key)).OrderBy(p => p.Key, CodePointComparer.Instance))
            {
                ignored.Add(new IgnoredEntry(store.Describe(key), read.ContainsKey(key) ? $"not a {kind} file ({patterns}): not read" : $"not read: the {kind} files are read from {(fromTop ? "the top level" : "data/")} only"));
            }

            foreach (var (folder, files) in nested)
            {
                ignored.Add(new IgnoredEntry(store.Describe(folder), $"sub-folder not read ({files} {(files == 1 ? "file" : "files")}): post it as a root of its own"));
            }

            return (location, [.. read.Where(p => isFile(p.Key)).Select(p => new StoredObject(p.Key, p.Value)).OrderBy(o => o.Key, CodePointComparer.Instance)], false);
        }
        catch
        {
            location.Store.Dispose();
            throw;
        }
    }
}
