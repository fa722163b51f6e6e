using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// One location, any format: looks at what a dataset location holds (a local path, or an <c>s3://</c>, <c>az://</c> or
/// <c>https://</c> location of a registered scheme) and says which source reads it.
/// </summary>
/// <remarks>
/// <para>A location that names files decides by their names: <c>*.tar</c>, <c>*.tar.gz</c>, <c>*.tgz</c> are tar shards,
/// <c>*.parquet</c> Parquet, <c>*.tfrecord</c>/<c>*.tfrecords</c>/<c>*.tfrec</c> (optionally <c>-00000-of-00004</c>) TFRecord,
/// <c>*.json</c> a COCO annotation file, <c>*.yaml</c>/<c>*.yml</c> a YOLO data file, <c>*.csv</c> a multi-label CSV file
/// (the last three local only); a brace pattern in the last component (<c>shard-{000000..000009}.tar</c>) decides by the
/// names it expands to, which must all be shards, Parquet or TFRecord files of one kind.</para>
/// <para>A folder or prefix is listed once (its top level, its <c>data/</c> folder and the names of its sub-folders):
/// a local folder with <c>annotations/instances_*.json</c> (or keypoints) is COCO; else a <c>data.yaml</c> at its top
/// level makes it YOLO (its sub-folders are the dataset's), <c>Annotations/</c> with <c>JPEGImages/</c> Pascal VOC (those
/// and VOC's <c>ImageSets/</c>, <c>SegmentationClass/</c>, <c>SegmentationObject/</c> are its own), <c>images/</c> with
/// <c>masks/</c> segmentation pairs; shards or a <c>dataset-index.json</c> at its top level make it tar shards; Parquet or
/// TFRecord files at its top level or in <c>data/</c> (the Hugging Face layout) make it Parquet or TFRecord; the other
/// sub-folders make it class folders (read by the built-in folder source on local disk, by
/// <see cref="ObjectFolderSampleSource"/> in object storage). A location that holds two of these is refused as ambiguous,
/// naming what it found; one that holds none is refused naming what it holds and the forms accepted; a folder whose
/// sub-folders are VOC folders (<c>VOCdevkit</c>) is refused naming them.</para>
/// <para><see cref="DatasetSourceOptions.Form"/> names the form instead: nothing is looked at but that the location exists.</para>
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
                $"{form} datasets are read by the Dataflow.Pipeline.{form} package: {ObjectStoreSchemes.AddPackage($"Dataflow.Pipeline.{form}", $"{form}Datasets.Register()")}.");

    /// <summary>The forms a location may take, for messages.</summary>
    internal const string AcceptedForms =
        "a folder of class folders; tar shards (*.tar, *.tar.gz, *.tgz: a folder of them, with or without dataset-index.json, one file or a brace pattern); " +
        "Parquet files (*.parquet, or a folder with data/*.parquet); TFRecord files (*.tfrecord); a COCO annotation file (*.json) or folder (annotations/instances_*.json); " +
        "a YOLO data.yaml (or a folder holding it); a Pascal VOC folder (Annotations/ and JPEGImages/); a multi-label CSV file (*.csv: path,labels); " +
        "segmentation pairs (a folder of images/ and masks/); the same in s3://, az:// or https:// locations, except COCO, YOLO, VOC, multi-label CSV and segmentation";

    /// <summary>The folders of a VOC year folder that belong to VOC (not class folders).</summary>
    private static readonly string[] VocFolders = ["Annotations", "JPEGImages", "ImageSets", "SegmentationClass", "SegmentationObject"];

    /// <summary>The name of a YOLO dataset's data file in its folder.</summary>
    private const string YoloDataFile = "data.yaml";

    /// <summary>Finds which form <paramref name="location"/> takes (see the remarks of <see cref="DatasetSources"/>).</summary>
    /// <param name="location">A local path or a URL of a registered scheme.</param>
    /// <param name="options">The options of the source it opens, or null for the defaults.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    /// <exception cref="ArgumentException">The location is blank or malformed, or its scheme is not registered; or an option of the form found is refused (<see cref="DatasetSourceOptions.Split"/> of YOLO, <see cref="DatasetSourceOptions.SegmentationClasses"/>), the message naming it.</exception>
    /// <exception cref="FileNotFoundException">A local file or folder it names does not exist.</exception>
    /// <exception cref="InvalidDataException">It holds no dataset of a known form, several forms, or a form its kind of location cannot hold (COCO in object storage).</exception>
    /// <exception cref="IOException">The store cannot be reached.</exception>
    /// <exception cref="UnauthorizedAccessException">A local folder cannot be listed: permission denied.</exception>
    public static async Task<DatasetSource> DetectAsync(string location, DatasetSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        options ??= DatasetSourceOptions.Default;
        bool remote = StorageLocation.IsRemote(location);
        if (options.CocoImages is not null && (options.Form is DatasetForm given ? given != DatasetForm.Coco : !IsCocoCandidate(location, remote)))
        {
            throw new InvalidDataException($"An image root for COCO was given, but '{location}' is not a COCO annotation file (*.json) or folder (annotations/instances_<split>.json).");
        }

        string name = LastComponent(location, remote);
        if (options.Form is DatasetForm form)
        {
            if (!remote && !name.Contains('{', StringComparison.Ordinal) && !File.Exists(location) && !Directory.Exists(location))
            {
                throw new FileNotFoundException($"The folder or file '{location}' does not exist.", location);
            }

            return Make(location, form, remote, $"{Noun(form)} at {location} (the form given)", options);
        }

        if (name.Contains('{', StringComparison.Ordinal))
        {
            IReadOnlyList<string> names = ShardSelection.Parse(location, n => FormOfName(n) is not null).Names ?? [name];
            var forms = names.Select(FormOfName).Distinct().ToList();
            if (forms.Count != 1 || forms[0] is not (DatasetForm.Shards or DatasetForm.Parquet or DatasetForm.TFRecord))
            {
                throw new InvalidDataException($"The pattern '{location}' expands to {names.Count} names that are not all tar shards, Parquet or TFRecord files of one kind (first: '{names[0]}'); the forms accepted: {AcceptedForms}.");
            }

            return new DatasetSource(location, forms[0]!.Value, $"{names.Count} {Noun(forms[0]!.Value)} named by '{location}'", options);
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

            return Make(location, named, remote, $"the {Noun(named)} '{location}'", options);
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
        : name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ? DatasetForm.Yolo
        : name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? DatasetForm.MultiLabelCsv
        : null;

    /// <summary>True for the forms whose sources read local files only.</summary>
    private static bool IsLocalOnly(DatasetForm form) => form is DatasetForm.Coco or DatasetForm.Yolo or DatasetForm.Voc or DatasetForm.MultiLabelCsv or DatasetForm.Segmentation;

    private static bool IsCocoCandidate(string location, bool remote) =>
        !remote && (location.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (Directory.Exists(location) && CocoSampleSource.IsCocoFolder(location)));

    /// <summary>The source of <paramref name="form"/> at <paramref name="location"/>, refused for a form read from local disk only in object storage.</summary>
    private static DatasetSource Make(string location, DatasetForm form, bool remote, string description, DatasetSourceOptions options)
    {
        if (remote && IsLocalOnly(form))
        {
            throw new InvalidDataException($"'{location}' is {Article(Noun(form))}, and {Name(form)} datasets are read from local disk only.");
        }

        if (form == DatasetForm.Yolo && options.Split is not (null or "train" or "val" or "test"))
        {
            throw new ArgumentException($"Parameter \"{nameof(DatasetSourceOptions.Split)}\" must be train, val or test for a YOLO dataset, was '{options.Split}'.", nameof(options));
        }

        if (form == DatasetForm.Segmentation && options.SegmentationClasses is { } given
            && (given.Count is 0 or > SegmentationSampleSource.IgnoreValue || given.Any(string.IsNullOrWhiteSpace) || given.Distinct(StringComparer.Ordinal).Count() != given.Count))
        {
            throw new ArgumentException(
                $"Parameter \"{nameof(DatasetSourceOptions.SegmentationClasses)}\" must hold 1 to {SegmentationSampleSource.IgnoreValue} distinct, non-empty names (mask value {SegmentationSampleSource.IgnoreValue} is ignore), was [{string.Join(", ", given)}].",
                nameof(options));
        }

        switch (form)
        {
            case DatasetForm.Coco:
                (string file, string images) = CocoSampleSource.Locate(location, options.CocoImages);
                return new DatasetSource(file, DatasetForm.Coco, $"COCO {file} (images in {images})", options) { CocoImages = images };
            case DatasetForm.Segmentation:
                return new DatasetSource(location, form, description, options) { SegmentationClasses = options.SegmentationClasses ?? SegmentationClassesOf(location) };
            default:
                return new DatasetSource(location, form, description, options) { IsRemote = remote };
        }
    }

    /// <summary>The class names in a segmentation dataset's <see cref="DatasetSourceOptions.SegmentationClassesFile"/>: one a line, the first naming mask value 0.</summary>
    private static IReadOnlyList<string> SegmentationClassesOf(string root)
    {
        string file = Path.Combine(root, DatasetSourceOptions.SegmentationClassesFile);
        if (!File.Exists(file))
        {
            throw new InvalidDataException(
                $"The segmentation dataset '{root}' names no classes: give them (DatasetSourceOptions.SegmentationClasses, indexed by mask value) or write {file} (one name a line, the first naming mask value 0).");
        }

        var names = new List<string>();
        var problems = new DatasetProblems($"Segmentation class file '{file}'");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] lines = File.ReadAllLines(file);
        int count = lines.Length;
        while (count > 0 && lines[count - 1].Trim().Length == 0)
        {
            count--;
        }

        for (int i = 0; i < count; i++)
        {
            string name = lines[i].Trim();
            if (name.Length == 0)
            {
                problems.Add($"line {i + 1} is empty (line i names mask value i - 1)");
            }
            else if (!seen.TryAdd(name, i + 1))
            {
                problems.Add($"line {i + 1}: '{name}' is the class of line {seen[name]} too");
            }

            names.Add(name);
        }

        if (count == 0 || count > SegmentationSampleSource.IgnoreValue)
        {
            problems.Add($"{count} names; a segmentation dataset has 1 to {SegmentationSampleSource.IgnoreValue} classes (mask value {SegmentationSampleSource.IgnoreValue} is ignore)");
        }

        problems.ThrowIfAny();
        return names;
    }

    private static async Task<DatasetSource> FromFolderAsync(string location, bool remote, DatasetSourceOptions options, CancellationToken cancellationToken)
    {
        if (!remote && CocoSampleSource.IsCocoFolder(location))
        {
            return Make(location, DatasetForm.Coco, remote, string.Empty, options);
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
        if (top.Contains(YoloDataFile))
        {
            found.Add((DatasetForm.Yolo, $"{YoloDataFile} (YOLO)"));
        }

        if (folders.Contains("Annotations") && folders.Contains("JPEGImages"))
        {
            found.Add((DatasetForm.Voc, "Annotations/ and JPEGImages/ (Pascal VOC)"));
        }

        if (folders.Contains("images") && folders.Contains("masks"))
        {
            found.Add((DatasetForm.Segmentation, "images/ and masks/ (segmentation pairs)"));
        }

        // A YOLO dataset's splits are its sub-folders (images/, labels/, or Roboflow's train/, valid/ …); VOC's and the pairs' are theirs.
        if (found.Any(f => f.Form == DatasetForm.Yolo))
        {
            folders.Clear();
        }

        if (found.Any(f => f.Form == DatasetForm.Voc))
        {
            folders.ExceptWith(VocFolders);
        }

        if (found.Any(f => f.Form == DatasetForm.Segmentation))
        {
            folders.ExceptWith(["images", "masks"]);
        }

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
            if (form == DatasetForm.ClassFolders && !remote && folders.Where(f => VocSampleSource.IsVocFolder(Path.Combine(location, f))).ToList() is { Count: > 0 } years)
            {
                throw new InvalidDataException(
                    $"The location '{where}' holds the Pascal VOC folder{(years.Count > 1 ? "s" : "")} {string.Join(", ", years)}, not class folders: give the location of one of them ('{Path.Combine(location, years[0])}').");
            }

            return Make(location, form, remote, form == DatasetForm.ClassFolders ? $"class folders at {where}" : IsLocalOnly(form) ? $"the {Noun(form)} at {where}" : $"{what} at {where}", options);
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
        DatasetForm.Yolo => "YOLO dataset",
        DatasetForm.Voc => "Pascal VOC folder",
        DatasetForm.MultiLabelCsv => "multi-label CSV file",
        DatasetForm.Segmentation => "segmentation pairs",
        _ => "class folders",
    };

    /// <summary>How a form is named in a sentence (<c>COCO datasets are …</c>).</summary>
    private static string Name(DatasetForm form) => form switch
    {
        DatasetForm.Coco => "COCO",
        DatasetForm.Yolo => "YOLO",
        DatasetForm.Voc => "Pascal VOC",
        DatasetForm.MultiLabelCsv => "multi-label CSV",
        DatasetForm.Segmentation => "segmentation",
        _ => Noun(form),
    };

    private static string Article(string noun) => noun.EndsWith('s') ? noun : "a " + noun;

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
