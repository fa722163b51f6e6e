using Dataflow.Pipeline;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Data;

namespace Dataflow.Samples.Commands;

/// <summary>
/// Where a command's dataset is and which source reads it: any form <see cref="DatasetSources.DetectAsync"/> knows (class
/// folders, tar shards, Parquet, TFRecord, COCO, on local disk or in object storage), or the embedded digits cut into the cache.
/// </summary>
/// <param name="Root">What is posted to the pipeline: the folder, file, pattern or location, or the COCO annotation file.</param>
/// <param name="IsEmbedded">True for the embedded digits.</param>
public sealed record DatasetLocation(string Root, bool IsEmbedded)
{
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

    /// <summary>The dataset given with <c>--data</c>, or the embedded digits when <paramref name="data"/> is null.</summary>
    /// <exception cref="UsageException">Nothing is there, or no dataset of a known form.</exception>
    public static DatasetLocation Resolve(string? data, CommandEnvironment environment) => Resolve(data, null, environment);

    /// <summary>
    /// The dataset <c>--data</c> names, in any form <see cref="DatasetSources.DetectAsync"/> recognises, with <c>--images</c>
    /// as a COCO dataset's image root when given; the embedded digits when absent.
    /// </summary>
    /// <exception cref="UsageException">Nothing is there, no dataset or several forms are, or <c>--images</c> is given for another form than COCO.</exception>
    public static DatasetLocation Resolve(string? data, string? images, CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (data is null)
        {
            if (images is not null)
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
            var options = new DatasetSourceOptions { CocoImages = images is null ? null : FolderOption.Require(images, "--images") };
            detected = DatasetSources.DetectAsync(location, options).GetAwaiter().GetResult();
        }
        catch (InvalidDataException) when (images is not null && !IsCoco(location))
        {
            throw ImagesWithoutCoco();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw new UsageException($"--data: {e.Message}");
        }

        return new DatasetLocation(detected.Location, IsEmbedded: false) { Detected = detected };
    }

    /// <summary>A pipeline builder for <paramref name="options"/> that reads this dataset with its source (the built-in one for local class folders).</summary>
    public ImagePipelineBuilder Builder(PipelineOptions options)
    {
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        Detected?.Configure(builder);
        return builder;
    }

    /// <summary>A new source for this dataset (a folder source with the options' classes and extensions, when given, for local class folders).</summary>
    public ISampleSource CreateSource(PipelineOptions? options = null) =>
        Detected?.CreateSource() ?? new FolderSampleSource(options?.ClassNames, options?.Extensions);

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

        return Path.GetRelativePath(Root, id).Replace('\\', '/');
    }

    private static readonly string[] ShardEndings = [".tar/", ".tar.gz/", ".tgz/"];

    /// <summary>A usage error for a command that reads only local class folders, naming the form found.</summary>
    public UsageException OnlyFolders(string command) =>
        new($"--data: {command} reads a folder of class folders on local disk; '{Root}' is {Detected?.Description ?? Root}.");

    private static bool IsCoco(string location) =>
        location.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (Directory.Exists(location) && CocoSampleSource.IsCocoFolder(location));

    private static UsageException ImagesWithoutCoco() =>
        new("--images goes with a COCO dataset (--data FILE.json, or a folder holding annotations/instances_<split>.json).");

    /// <summary>The dataset's target schema, read for its keypoints' skeleton (for drawing): a COCO dataset's; null for the other forms.</summary>
    public async Task<Dataflow.Pipeline.Targets.TargetSchema?> TargetSchemaAsync(CancellationToken cancellationToken = default) => Form != DatasetForm.Coco
        ? null
        : (await CreateSource().DiscoverAsync([Root], cancellationToken).ConfigureAwait(false)).TargetSchema;
}
