using Dataflow.Pipeline;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Data;

namespace Dataflow.Samples.Commands;

/// <summary>
/// Where a command's dataset is and which source reads it: any form <see cref="DatasetSources.DetectAsync"/> knows (class
/// folders, tar shards, Parquet, TFRecord, COCO, YOLO, VOC, multi-label CSV, segmentation pairs, on local disk or, for the
/// first four, in object storage), or the embedded digits cut into the cache.
/// </summary>
/// <remarks>The location owns the sources it makes (<see cref="Builder"/>, <see cref="CreateSource"/>): they are disposed
/// with it, which the command runner does when the command that resolved it ends.</remarks>
/// <param name="Root">What is posted to the pipeline: the folder, file, pattern or location, or the COCO annotation file.</param>
/// <param name="IsEmbedded">True for the embedded digits.</param>
public sealed record DatasetLocation(string Root, bool IsEmbedded) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>The folder a COCO file's images are relative to, or null for another form.</summary>
    public string? CocoImages => Detected?.CocoImages;

    /// <summary>What detection found, or null for the embedded digits.</summary>
    public DatasetSource? Detected { get; init; }

    /// <summary>The dataset's form (class folders for the embedded digits).</summary>
    public DatasetForm Form => Detected?.Form ?? DatasetForm.ClassFolders;

    /// <summary>True for class folders on local disk (the embedded digits included): what the folder-only tools (scan's and index's folder walk, pack) read.</summary>
    public bool IsLocalFolder => Form == DatasetForm.ClassFolders && Detected?.IsRemote != true;

    /// <summary>How the dataset is named in output.</summary>
    public string DisplayName => IsEmbedded ? $"embedded digits ({Root})"
        : IsLocalFolder ? Root
        : Form == DatasetForm.Coco ? $"COCO {Root} (images in {CocoImages})"
        : Detected!.Description;

    /// <summary>The dataset given with <c>--data</c>, or the embedded digits when <paramref name="data"/> is null, read with the sources' defaults.</summary>
    /// <exception cref="UsageException">Nothing is there, or no dataset of a known form.</exception>
    public static DatasetLocation Resolve(string? data, CommandEnvironment environment) => Resolve(data, DatasetSourceOptions.Default, environment);

    /// <summary>
    /// The dataset <c>--data</c> names, in any form <see cref="DatasetSources.DetectAsync"/> recognises (or the one
    /// <paramref name="options"/> names), read with <paramref name="options"/>; the embedded digits when absent. The location
    /// is disposed, with the sources it made, when <paramref name="environment"/>'s command ends.
    /// </summary>
    /// <param name="data">The <c>--data</c> value, or null.</param>
    /// <param name="options">The sources' options, from <see cref="DataArguments"/>.</param>
    /// <param name="environment">The command's environment.</param>
    /// <param name="flags">The flag of each option property the library may name in a refusal (<c>Split</c>: <c>--split</c>).</param>
    /// <exception cref="UsageException">Nothing is there, no dataset or several forms are, <c>--images</c> is given for another form than COCO, or an option is refused.</exception>
    public static DatasetLocation Resolve(string? data, DatasetSourceOptions options, CommandEnvironment environment, IReadOnlyDictionary<string, string>? flags = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        if (data is null)
        {
            if (options.CocoImages is not null)
            {
                throw ImagesWithoutCoco();
            }

            return new DatasetLocation(EmbeddedDigits.EnsureExtracted(environment.CacheRoot), IsEmbedded: true);
        }

        bool remote = StorageLocation.IsRemote(data);
        string location = remote || data.Contains('{', StringComparison.Ordinal) ? data : Path.GetFullPath(data);
        if (!remote && !data.Contains('{', StringComparison.Ordinal) && !File.Exists(location) && !Directory.Exists(location))
        {
            throw new UsageException($"--data: the {(Path.HasExtension(location) ? "file" : "folder")} '{location}' does not exist.");
        }

        DatasetSource detected;
        try
        {
            detected = DatasetSources.DetectAsync(location, options).GetAwaiter().GetResult();
        }
        catch (InvalidDataException) when (options.CocoImages is not null && options.Form is null && !IsCoco(location))
        {
            throw ImagesWithoutCoco();
        }
        catch (ArgumentException e) when (e.ParamName == "options")
        {
            // An option of the form found was refused: the message names the flag that set it.
            throw new UsageException(InFlags(e.Message, flags));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw new UsageException($"--data: {InFlags(e.Message, flags)}");
        }

        return environment.Own(new DatasetLocation(detected.Location, IsEmbedded: false) { Detected = detected });
    }

    /// <summary>A pipeline builder for <paramref name="options"/> that reads this dataset with a new source (the built-in one for local class folders), which this location disposes.</summary>
    public ImagePipelineBuilder Builder(PipelineOptions options)
    {
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        Own(Detected?.Configure(builder));
        return builder;
    }

    /// <summary>A new source for this dataset (a folder source with the options' classes and extensions, when given, for local class folders); this location disposes it.</summary>
    public ISampleSource CreateSource(PipelineOptions? options = null) =>
        Own(Detected?.CreateSource()) ?? new FolderSampleSource(options?.ClassNames, options?.Extensions);

    /// <summary>Disposes every source this location made; a later source is owned again. Thread-safe.</summary>
    public void Dispose()
    {
        IDisposable[] owned;
        lock (_owned)
        {
            owned = [.. _owned];
            _owned.Clear();
        }

        foreach (IDisposable source in owned)
        {
            source.Dispose();
        }
    }

    private ISampleSource? Own(ISampleSource? source)
    {
        if (source is IDisposable disposable)
        {
            lock (_owned)
            {
                _owned.Add(disposable);
            }
        }

        return source;
    }

    /// <summary><paramref name="message"/> with the library's names of options (<c>Parameter "Split"</c>, <c>DatasetSourceOptions.Split</c>) replaced by their flags.</summary>
    private static string InFlags(string message, IReadOnlyDictionary<string, string>? flags)
    {
        foreach ((string option, string flag) in flags ?? new Dictionary<string, string>())
        {
            message = message.Replace($"Parameter \"{option}\"", flag, StringComparison.Ordinal)
                .Replace($"DatasetSourceOptions.{option}", flag, StringComparison.Ordinal);
        }

        return message;
    }

    /// <summary>
    /// A sample's id relative to the dataset, with <c>/</c>: the path under the folder, or a shard sample's member name
    /// (<c>cat/1.jpg</c> of <c>/data/shard-000000.tar/cat/1.jpg</c>), so the same images read as folders or as the
    /// shards packed from them have the same relative ids.
    /// </summary>
    public string RelativePath(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Form == DatasetForm.Shards)
        {
            foreach (string ending in ShardEndings)
            {
                int at = id.IndexOf(ending, StringComparison.OrdinalIgnoreCase);
                if (at >= 0)
                {
                    return id[(at + ending.Length)..];
                }
            }
        }

        // Relative to the dataset's folder: a folder given, or the folder of a file given (data.yaml, a CSV), so a YOLO
        // folder and its data.yaml give the same ids.
        string folder = Form is DatasetForm.Yolo or DatasetForm.MultiLabelCsv && File.Exists(Root) ? Path.GetDirectoryName(Root)! : Root;
        return Path.GetRelativePath(folder, id).Replace('\\', '/');
    }

    private static readonly string[] ShardEndings = [".tar/", ".tar.gz/", ".tgz/"];

    /// <summary>A usage error for a command that reads only local class folders, naming the form found.</summary>
    public UsageException OnlyFolders(string command) =>
        new($"--data: {command} reads a folder of class folders on local disk; '{Root}' is {Detected?.Description ?? Root}.");

    private static bool IsCoco(string location) =>
        location.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (Directory.Exists(location) && CocoSampleSource.IsCocoFolder(location));

    /// <summary>The usage error of <c>--images</c> without a COCO dataset.</summary>
    internal static UsageException ImagesWithoutCoco() =>
        new("--images goes with a COCO dataset (--data FILE.json, or a folder holding annotations/instances_<split>.json).");

    /// <summary>The dataset's target schema, read for its keypoints' skeleton (for drawing): a COCO dataset's; null for the other forms.</summary>
    public async Task<Dataflow.Pipeline.Targets.TargetSchema?> TargetSchemaAsync(CancellationToken cancellationToken = default) => Form != DatasetForm.Coco
        ? null
        : (await CreateSource().DiscoverAsync([Root], cancellationToken).ConfigureAwait(false)).TargetSchema;
}
