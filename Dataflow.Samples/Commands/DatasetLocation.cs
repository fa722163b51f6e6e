using Dataflow.Pipeline;
using Dataflow.Pipeline.Sources;
using Dataflow.Samples.Data;

namespace Dataflow.Samples.Commands;

/// <summary>Where a command's dataset is: a user folder, a COCO annotation file, or the embedded digits cut into the cache.</summary>
/// <param name="Root">The folder of class folders, or the COCO annotation file: what is posted to the pipeline.</param>
/// <param name="IsEmbedded">True for the embedded digits.</param>
public sealed record DatasetLocation(string Root, bool IsEmbedded)
{
    /// <summary>The folder a COCO file's images are relative to, or null for a folder of class folders.</summary>
    public string? CocoImages { get; init; }

    /// <summary>How the dataset is named in output.</summary>
    public string DisplayName => IsEmbedded ? $"embedded digits ({Root})" : CocoImages is null ? Root : $"COCO {Root} (images in {CocoImages})";

    /// <summary>The folder given with <c>--data</c>, or the embedded digits when <paramref name="data"/> is null.</summary>
    /// <exception cref="UsageException">The folder does not exist, or is a file.</exception>
    public static DatasetLocation Resolve(string? data, CommandEnvironment environment) => Resolve(data, null, environment);

    /// <summary>
    /// The dataset <c>--data</c> names: a COCO annotation file (<c>.json</c>) or a COCO folder (<c>annotations/instances_*.json</c>),
    /// with <c>--images</c> as its image root when given; else a folder of class folders; the embedded digits when absent.
    /// </summary>
    /// <exception cref="UsageException">The file or folder does not exist, or <c>--images</c> is given for a folder of class folders.</exception>
    public static DatasetLocation Resolve(string? data, string? images, CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (data is not null && (data.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (Directory.Exists(data) && CocoSampleSource.IsCocoFolder(data))))
        {
            try
            {
                (string file, string root) = CocoSampleSource.Locate(data, images is null ? null : FolderOption.Require(images, "--images"));
                return new DatasetLocation(file, IsEmbedded: false) { CocoImages = root };
            }
            catch (FileNotFoundException e)
            {
                throw new UsageException($"--data: {e.Message}");
            }
            catch (InvalidDataException e)
            {
                throw new UsageException($"--data: {e.Message}");
            }
        }

        if (images is not null)
        {
            throw new UsageException("--images goes with a COCO dataset (--data FILE.json, or a folder holding annotations/instances_<split>.json).");
        }

        if (data is null)
        {
            return new DatasetLocation(EmbeddedDigits.EnsureExtracted(environment.CacheRoot), IsEmbedded: true);
        }

        return new DatasetLocation(FolderOption.Require(data, "--data"), IsEmbedded: false);
    }

    /// <summary>A pipeline builder for <paramref name="options"/> that reads this dataset (the COCO source for a COCO file).</summary>
    public ImagePipelineBuilder Builder(PipelineOptions options)
    {
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
        return CocoImages is null ? builder : builder.UseSource(new CocoSampleSource(CocoImages));
    }
}
