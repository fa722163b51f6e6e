using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// One location, any format: looks at what a dataset location holds (a local path, or an <c>s3://</c>, <c>az://</c> or
/// <c>https://</c> location of a registered scheme) and says which source reads it.
/// </summary>
/// <remarks>
/// <para>A location that names files decides by their names: <c>*.tar</c>, <c>*.tar.gz</c>, <c>*.tgz</c> are tar shards,
/// <c>*.parquet</c> Parquet, <c>*.tfrecord</c>/<c>*.tfrecords</c>/<c>*.tfrec</c> (optionally <c>-00000-of-00004</c>) TFRecord,
/// <c>*.json</c> a COCO annotation file (local only); a brace pattern in the last component
/// (<c>shard-{000000..000009}.tar</c>) decides by the names it expands to, which must all be of one kind.</para>
/// <para>A folder or prefix is listed once (its top level, its <c>data/</c> folder and the names of its sub-folders):
/// a local folder with <c>annotations/instances_*.json</c> (or keypoints) is COCO; else shards or a
/// <c>dataset-index.json</c> at its top level make it tar shards; Parquet or TFRecord files at its top level or in
/// <c>data/</c> (the Hugging Face layout) make it Parquet or TFRecord; sub-folders make it class folders (read by the
/// built-in folder source on local disk, by <see cref="ObjectFolderSampleSource"/> in object storage). A location that
/// holds two of these is refused as ambiguous, naming what it found; one that holds none is refused naming what it
/// holds and the forms accepted.</para>
/// </remarks>
public static class DatasetSources
{
    // Sources of the forms whose readers live in packages of their own (Parquet: Dataflow.Pipeline.Parquet).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<DatasetForm, Func<DatasetSourceOptions, ISampleSource>> Registered = new();

    /// <summary>
    /// Makes <paramref name="form"/> readable by <see cref="DatasetSource.CreateSource"/> with <paramref name="create"/>: the
    /// packages whose readers bring a library of their own register their form (<c>ParquetDatasets.Register()</c>), so an app
    /// that reads none of them carries none. A later registration replaces the earlier one. Thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="form"/> is read by the core itself.</exception>
    public static void Register(DatasetForm form, Func<DatasetSourceOptions, ISampleSource> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (form != DatasetForm.Parquet)
        {
            throw new ArgumentException($"The {form} form is read by the core; only {DatasetForm.Parquet} is registered by a package.", nameof(form));
        }

        Registered[form] = create;
    }

    /// <summary>A new source of a registered form; refused naming the package and the call when none is registered.</summary>
    internal static ISampleSource CreateRegistered(DatasetForm form, DatasetSourceOptions options) =>
        Registered.TryGetValue(form, out Func<DatasetSourceOptions, ISampleSource>? create)
            ? create(options)
            : throw new InvalidOperationException(
                $"{form} datasets are read by the Dataflow.Pipeline.{form} package: add it (dotnet add package Dataflow.Pipeline.{form}) and call {form}Datasets.Register() once at start-up.");

    /// <summary>The forms a location may take, for messages.</summary>
    internal const string AcceptedForms =
        "a folder of class folders; tar shards (*.tar, *.tar.gz, *.tgz: a folder of them, with or without dataset-index.json, one file or a brace pattern); " +
        "Parquet files (*.parquet, or a folder with data/*.parquet); TFRecord files (*.tfrecord); a COCO annotation file (*.json) or folder (annotations/instances_*.json); " +
        "the same in s3://, az:// or https:// locations, except COCO";

    /// <summary>Finds which form <paramref name="location"/> takes (see the remarks of <see cref="DatasetSources"/>).</summary>
    /// <param name="location">A local path or a URL of a registered scheme.</param>
    /// <param name="options">The options of the source it opens, or null for the defaults.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    /// <exception cref="ArgumentException">The location is blank or malformed, or its scheme is not registered.</exception>
    /// <exception cref="FileNotFoundException">A local file or folder it names does not exist.</exception>
    /// <exception cref="InvalidDataException">It holds no dataset of a known form, several forms, or a form its kind of location cannot hold (COCO in object storage).</exception>
    /// <exception cref="IOException">The store cannot be reached.</exception>
    /// <exception cref="UnauthorizedAccessException">A local folder cannot be listed: permission denied.</exception>
    public static async Task<DatasetSource> DetectAsync(string location, DatasetSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        options ??= DatasetSourceOptions.Default;
        bool remote = StorageLocation.IsRemote(location);
        if (options.CocoImages is not null && !IsCocoCandidate(location, remote))
        {
            throw new InvalidDataException($"An image root for COCO was given, but '{location}' is not a COCO annotation file (*.json) or folder (annotations/instances_<split>.json).");
        }

        string name = LastComponent(location, remote);
        if (name.Contains('{', StringComparison.Ordinal))
        {
            IReadOnlyList<string> names = ShardSelection.Parse(location, n => FormOfName(n) is not null).Names ?? [name];
            var forms = names.Select(FormOfName).Distinct().ToList();
            if (forms.Count != 1 || forms[0] is not DatasetForm form)
            {
                throw new InvalidDataException($"The pattern '{location}' expands to {names.Count} names that are not all of one kind of dataset file (first: '{names[0]}'); the forms accepted: {AcceptedForms}.");
            }

            return new DatasetSource(location, form, $"{names.Count} {Noun(form)} named by '{location}'", options);
        }

        if (!remote && Directory.Exists(location))
        {
            return await FromFolderAsync(location, remote, options, cancellationToken).ConfigureAwait(false);
        }

        if (FormOfName(name) is DatasetForm named)
        {
            if (!remote && !File.Exists(location))
            {
                throw new FileNotFoundException($"The file '{location}' does not exist.", location);
            }

            if (named == DatasetForm.Coco)
            {
                return Coco(location, remote, options);
            }

            return new DatasetSource(location, named, $"the {Noun(named)} '{location}'", options);
        }

        if (!remote)
        {
            throw File.Exists(location)
                ? new InvalidDataException($"The file '{location}' is of no dataset form known by its name; the forms accepted: {AcceptedForms}.")
                : new FileNotFoundException($"The folder or file '{location}' does not exist.", location);
        }

        return await FromFolderAsync(location, remote, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The form a file's name says, or null when it names none.</summary>
    private static DatasetForm? FormOfName(string name) =>
        ShardFiles.IsShard(name) ? DatasetForm.Shards
        : ParquetSourceOptions.IsParquet(name) ? DatasetForm.Parquet
        : TFRecordSampleSource.IsTFRecord(name) ? DatasetForm.TFRecord
        : name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? DatasetForm.Coco
        : null;

    private static bool IsCocoCandidate(string location, bool remote) =>
        !remote && (location.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (Directory.Exists(location) && CocoSampleSource.IsCocoFolder(location)));

    private static DatasetSource Coco(string location, bool remote, DatasetSourceOptions options)
    {
        if (remote)
        {
            throw new InvalidDataException($"'{location}' is a COCO annotation file, and COCO datasets are read from local disk only.");
        }

        (string file, string images) = CocoSampleSource.Locate(location, options.CocoImages);
        return new DatasetSource(file, DatasetForm.Coco, $"COCO {file} (images in {images})", options) { CocoImages = images };
    }

    private static async Task<DatasetSource> FromFolderAsync(string location, bool remote, DatasetSourceOptions options, CancellationToken cancellationToken)
    {
        if (!remote && CocoSampleSource.IsCocoFolder(location))
        {
            return Coco(location, remote, options);
        }

        var top = new List<string>();
        var data = new List<string>();
        var folders = new SortedSet<string>(StringComparer.Ordinal);
        string where;
        if (remote)
        {
            StorageLocation opened = StorageLocation.Open(location, options.Storage);
            using IObjectStore store = opened.Store;
            where = store.Describe(opened.Prefix);
            await store.CheckAccessAsync(cancellationToken).ConfigureAwait(false);
            string prefix = opened.Prefix;
            await foreach (StoredObject item in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                string relative = item.Key[prefix.Length..];
                int slash = relative.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0)
                {
                    top.Add(relative);
                    continue;
                }

                string folder = relative[..slash];
                if (folder == "data" && relative.IndexOf('/', slash + 1) < 0)
                {
                    data.Add(relative[(slash + 1)..]);
                }

                if (!folder.StartsWith('.'))
                {
                    folders.Add(folder);
                }
            }
        }
        else
        {
            where = location;
            try
            {
                ListLocal(location, top, data, folders);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new UnauthorizedAccessException($"The dataset root '{location}' cannot be listed: permission denied.", e);
            }
        }

        return Classify(location, remote, where, top, data, folders, options);
    }

    private static void ListLocal(string location, List<string> top, List<string> data, SortedSet<string> folders)
    {
        top.AddRange(Directory.EnumerateFiles(location).Select(Path.GetFileName)!);
        string dataFolder = Path.Combine(location, "data");
        if (Directory.Exists(dataFolder))
        {
            data.AddRange(Directory.EnumerateFiles(dataFolder).Select(Path.GetFileName)!);
        }

        folders.UnionWith(Directory.EnumerateDirectories(location).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))!);
    }

    private static DatasetSource Classify(string location, bool remote, string where, List<string> top, List<string> data, SortedSet<string> folders, DatasetSourceOptions options)
    {
        var found = new List<(DatasetForm Form, string What)>();
        int shards = top.Count(ShardFiles.IsShard);
        bool index = top.Contains(ShardIndex.FileName);
        if (shards > 0 || index)
        {
            found.Add((DatasetForm.Shards, $"{shards} tar shards{(index ? " and " + ShardIndex.FileName : "")}"));
        }

        bool dataRead = false;
        foreach (DatasetForm form in new[] { DatasetForm.Parquet, DatasetForm.TFRecord })
        {
            Func<string, bool> isFile = form == DatasetForm.Parquet ? ParquetSourceOptions.IsParquet : TFRecordSampleSource.IsTFRecord;
            int atTop = top.Count(isFile), inData = data.Count(isFile);
            if (atTop + inData > 0)
            {
                found.Add((form, atTop > 0 ? $"{atTop} {Noun(form)}" : $"{inData} {Noun(form)} in data/"));
                dataRead |= atTop == 0;
            }
        }

        if (dataRead)
        {
            folders.Remove("data");
        }

        if (folders.Count > 0)
        {
            found.Add((DatasetForm.ClassFolders, $"{folders.Count} sub-folders ({string.Join(", ", folders.Take(3))}{(folders.Count > 3 ? ", ..." : "")})"));
        }

        if (found.Count == 1)
        {
            (DatasetForm form, string what) = found[0];
            return new DatasetSource(location, form, form == DatasetForm.ClassFolders ? $"class folders at {where}" : $"{what} at {where}", options) { IsRemote = remote };
        }

        if (found.Count > 1)
        {
            throw new InvalidDataException($"The location '{where}' holds more than one dataset form: {string.Join("; ", found.Select(f => f.What))}. Give the location of one of them.");
        }

        string holds = top.Count == 0 ? "nothing" : $"{top.Count} files ({string.Join(", ", top.Order(StringComparer.Ordinal).Take(3))}{(top.Count > 3 ? ", ..." : "")}) and no sub-folders";
        throw new InvalidDataException($"The location '{where}' holds no dataset: it holds {holds}. The forms accepted: {AcceptedForms}.");
    }

    private static string Noun(DatasetForm form) => form switch
    {
        DatasetForm.Shards => "tar shards",
        DatasetForm.Parquet => "Parquet files",
        DatasetForm.TFRecord => "TFRecord files",
        DatasetForm.Coco => "COCO annotation file",
        _ => "class folders",
    };

    /// <summary>The last path component (without an https location's query).</summary>
    private static string LastComponent(string location, bool remote)
    {
        string path = location;
        int query = remote ? path.IndexOf('?', StringComparison.Ordinal) : -1;
        if (query >= 0)
        {
            path = path[..query];
        }

        path = path.TrimEnd('/', Path.DirectorySeparatorChar);
        int slash = path.LastIndexOf('/');
        if (!remote)
        {
            slash = Math.Max(slash, path.LastIndexOf(Path.DirectorySeparatorChar));
        }

        return path[(slash + 1)..];
    }
}
