using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline.Caching;

/// <summary>
/// The decoded-image cache (<see cref="PipelineOptions.Cache"/>): the first epoch stores each sample after decode and
/// resize as 8-bit pixels; later epochs take it from there, skipping read and decode, and run augmentation and
/// normalization on it. Like tf.data's <c>cache()</c> or FFCV's pre-resized store, with no conversion step.
/// </summary>
/// <remarks>
/// <para>Entries are kept in memory up to <see cref="MemoryBudgetBytes"/>; past it, in a file in
/// <see cref="Folder"/> (without a folder, the samples past the budget are decoded every epoch). When a write to the
/// file fails (a full disk), the run goes on without writing it: <see cref="CacheReport.FileDisabled"/> says why, and
/// the samples not yet cached are decoded in every epoch. The file is deleted
/// at the end of the run unless <see cref="KeepFile"/> is set; a kept file is reused by a later run only when its header
/// (format version and a fingerprint of the dataset and the decode options) matches, and each entry's length and
/// checksum are verified every time it is read from the file: a corrupt or foreign file, or entry (also one that another
/// process changes or truncates during the run), is rebuilt, never trusted.</para>
/// <para>At the target size with no <see cref="Augmentation.ISourceCropAugmentation"/> first in the augmentation list,
/// the batches are bit-identical to an uncached run, targets included (each entry keeps its decode geometry for a
/// dataset with targets). With a larger cache size (<see cref="Width"/>, <see cref="Height"/>),
/// or with a source crop, they differ; docs/dev/performance-log.md says exactly how.</para>
/// </remarks>
public sealed record DecodedImageCacheOptions
{
    /// <summary>The name of the kept cache file in <see cref="Folder"/> (<see cref="KeepFile"/>); a file that is not kept gets a unique name.</summary>
    /// <remarks>Two pipelines that keep their files at the same time need folders of their own: the file is opened for one run at a time.</remarks>
    public const string FileName = "decoded-images.cache";

    /// <summary>The most bytes of pixels held in memory.</summary>
    /// <value>1 GiB; 0 (everything in the file) to 2^40.</value>
    public long MemoryBudgetBytes { get; init; } = 1L << 30;

    /// <summary>Where the file for the entries past the budget is written; null keeps no file.</summary>
    /// <value>null.</value>
    public string? Folder { get; init; }

    /// <summary>
    /// Keep the file after the run, so that a later run with the same dataset and decode options starts from it. Every entry
    /// then goes to the file (memory holds none), since only the file outlives the run.
    /// </summary>
    /// <value>false: the file is deleted when the run ends.</value>
    public bool KeepFile { get; init; }

    /// <summary>The width the cache stores; larger than the target leaves pixels for crop augmentations. Null: the target width.</summary>
    /// <value>null; at least <see cref="PipelineOptions.Width"/> and at most 16384.</value>
    public int? Width { get; init; }

    /// <summary>The height the cache stores. Null: the target height.</summary>
    /// <value>null; at least <see cref="PipelineOptions.Height"/> and at most 16384.</value>
    public int? Height { get; init; }

    /// <summary>Adds a failure to <paramref name="checks"/> for every value out of range (the sizes against the pipeline's target size).</summary>
    internal void Check(int targetWidth, int targetHeight, OptionChecks checks)
    {
        checks.InRange(MemoryBudgetBytes, 0, 1L << 40, "Cache.MemoryBudgetBytes");
        if (Width is int w)
        {
            checks.InRange(w, targetWidth, 16_384, "Cache.Width");
        }

        if (Height is int h)
        {
            checks.InRange(h, targetHeight, 16_384, "Cache.Height");
        }

        if (KeepFile && Folder is null)
        {
            checks.Add("Cache.KeepFile", "Parameter \"Cache.KeepFile\" is true but \"Cache.Folder\" is null: name the folder the file is kept in.");
        }
    }

    /// <summary>The cache's folder must exist: checked after the values (a missing folder is not a value out of range).</summary>
    /// <exception cref="DirectoryNotFoundException"><see cref="Folder"/> does not exist.</exception>
    internal void CheckFolder()
    {
        if (Folder is not null && !Directory.Exists(Folder))
        {
            throw new DirectoryNotFoundException($"Parameter \"Cache.Folder\": the folder '{Path.GetFullPath(Folder)}' does not exist.");
        }
    }
}
