using Dataflow.Pipeline.Sources;
using System.Security.Cryptography;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using OpenCvSharp;

namespace Dataflow.Samples.Scan;

/// <summary>One file as the scan saw it.</summary>
/// <param name="Path">The file's path.</param>
/// <param name="Label">Its class index.</param>
/// <param name="Bytes">Its size on disk.</param>
/// <param name="Format">The format from its first bytes.</param>
/// <param name="Width">Width in pixels (0 when it cannot be decoded).</param>
/// <param name="Height">Height in pixels (0 when it cannot be decoded).</param>
/// <param name="Sha256">The hash of its bytes (null when it cannot be read or holds none).</param>
/// <param name="Error">Why it cannot be read or decoded, or null when it can.</param>
public sealed record ScannedFile(string Path, int Label, long Bytes, ImageFormat Format, int Width, int Height, string? Sha256, string? Error)
{
    /// <summary>Why the file's boxes cannot belong to it (a box wholly outside the decoded image), or null.</summary>
    public string? AnnotationProblem { get; init; }
}

/// <summary>A dataset's health: every file of every class, and what discovery left out.</summary>
/// <param name="Root">The dataset root.</param>
/// <param name="ClassNames">Class names, indexed by label.</param>
/// <param name="Files">Every image file, in discovery order.</param>
/// <param name="Ignored">Entries that are not samples, with the reason.</param>
public sealed record ScanResult(string Root, IReadOnlyList<string> ClassNames, IReadOnlyList<ScannedFile> Files, IReadOnlyList<IgnoredEntry> Ignored)
{
    /// <summary>What the samples carry beside their images (boxes, masks, keypoints, label sets), or null for labels only.</summary>
    public TargetSummary? Targets { get; init; }

    /// <summary>Every annotation that does not fit its image, naming the file, the annotation and why.</summary>
    public IReadOnlyList<string> BadAnnotations => [.. Files.Where(f => f.AnnotationProblem is not null).Select(f => $"{f.Path}: {f.AnnotationProblem}")];

    /// <summary>Files that decode.</summary>
    public IEnumerable<ScannedFile> Decodable => Files.Where(f => f.Error is null);

    /// <summary>Files that cannot be read or decoded.</summary>
    public IReadOnlyList<ScannedFile> Undecodable => [.. Files.Where(f => f.Error is not null)];

    /// <summary>Groups of two or more files with the same bytes (by SHA-256), each sorted by path.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Duplicates =>
    [
        .. Files.Where(f => f.Sha256 is not null).GroupBy(f => f.Sha256!).Where(g => g.Count() > 1)
            .Select(g => (IReadOnlyList<string>)[.. g.Select(f => f.Path).Order(CodePointComparer.Instance)])
            .OrderBy(g => g[0], CodePointComparer.Instance),
    ];

    /// <summary>The decodable files' sizes ordered by pixel count (then width): min, median and max; null when none decode.</summary>
    public (string Min, string Median, string Max)? Sizes
    {
        get
        {
            var sizes = Decodable.Select(f => (f.Width, f.Height)).OrderBy(s => (long)s.Width * s.Height).ThenBy(s => s.Width).ToList();
            if (sizes.Count == 0)
            {
                return null;
            }

            static string Text((int W, int H) s) => $"{s.W}x{s.H}";
            return (Text(sizes[0]), Text(sizes[(sizes.Count - 1) / 2]), Text(sizes[^1]));
        }
    }
}

/// <summary>
/// Scans a folder of class folders without building batches: discovers it as the pipeline does, then
/// reads, hashes and test-decodes every file in a parallel Dataflow block with the library's decoder,
/// so a file the scan calls undecodable is one the pipeline would skip, for the same reason.
/// </summary>
public static class DatasetScanner
{
    /// <summary>Scans <paramref name="root"/>, a folder of class folders.</summary>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">The root has no class folders, or a class has no images.</exception>
    public static Task<ScanResult> ScanAsync(string root, CancellationToken cancellationToken = default) =>
        ScanAsync(root, new FolderSampleSource(), cancellationToken);

    /// <summary>Scans what <paramref name="source"/> discovers at <paramref name="root"/> (shards, Parquet, TFRecord, object storage …), read by that source.</summary>
    /// <exception cref="InvalidDataException">The source finds no usable sample there.</exception>
    /// <exception cref="InvalidDataException">The dataset's annotation files hold problems (each named: <see cref="AnnotationProblems.TryGet"/>).</exception>
    public static async Task<ScanResult> ScanAsync(string root, ISampleSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(source);
        SampleSet set = source is FolderSampleSource folder ? folder.Discover([root], cancellationToken) : await source.DiscoverAsync([root], cancellationToken).ConfigureAwait(false);
        var pool = new BufferPool();
        // A 1×1 target: the decode proves the file is readable, and large JPEGs decode at 1/8 scale.
        var decoder = new ImageDecoder(1, 1, ColorMode.Bgr, ResizeMode.Stretch, Interpolation.Nearest, reducedDecode: true);
        var files = new List<ScannedFile>(set.Samples.Count);
        int workers = Environment.ProcessorCount;
        var inspect = new TransformBlock<SampleInfo, ScannedFile>(s => InspectAsync(s, source, pool, decoder, cancellationToken),
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = workers, BoundedCapacity = 2 * workers, CancellationToken = cancellationToken });
        // The transform keeps message order, so files arrive in discovery order.
        var collect = new ActionBlock<ScannedFile>(files.Add, new ExecutionDataflowBlockOptions { BoundedCapacity = 2 * workers });
        inspect.LinkTo(collect, new DataflowLinkOptions { PropagateCompletion = true });
        foreach (SampleInfo sample in set.Samples)
        {
            if (!await inspect.SendAsync(sample, cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        inspect.Complete();
        await collect.Completion.ConfigureAwait(false);
        return new ScanResult(StorageLocation.IsRemote(root) ? root : Path.GetFullPath(root), set.ClassNames, files, set.Ignored) { Targets = TargetSummary.Of(set) };
    }

    private static async Task<ScannedFile> InspectAsync(SampleInfo sample, ISampleSource source, BufferPool pool, ImageDecoder decoder, CancellationToken cancellationToken)
    {
        // The pipeline's own read: a FIFO or device is never opened (it reads as empty), a file above MaxFileBytes or
        // whose first bytes are no acceptable image is refused before it is read whole.
        PooledBuffer buffer;
        try
        {
            buffer = await source.ReadAsync(sample, pool, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageDecodeException e)
        {
            return new ScannedFile(sample.Id, sample.Label, 0, ImageFormat.Unknown, 0, 0, null, e.Reason);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ScannedFile(sample.Id, sample.Label, 0, ImageFormat.Unknown, 0, 0, null, $"cannot be read: {e.Message}");
        }

        using (buffer)
        {
            return Inspect(sample, buffer.Memory, decoder);
        }
    }

    private static ScannedFile Inspect(SampleInfo sample, ReadOnlyMemory<byte> bytes, ImageDecoder decoder)
    {
        // Nothing read (an empty file, or a FIFO or device, which is not opened): no bytes to call a duplicate.
        string? sha = bytes.IsEmpty ? null : Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
        ImageHeader header = ImageHeader.Read(bytes.Span);
        try
        {
            using Mat _ = decoder.Decode(bytes.Span, sample.Id);
        }
        catch (ImageDecodeException e)
        {
            return new ScannedFile(sample.Id, sample.Label, bytes.Length, header.Format, 0, 0, sha, e.Reason);
        }

        (int width, int height) = (header.Width, header.Height);
        if (width == 0 || height == 0)
        {
            // Formats whose header the reader does not parse (TIFF, PNM): ask OpenCV.
            using Mat full = Cv2.ImDecode(bytes.Span, ImreadModes.Unchanged);
            (width, height) = (full.Width, full.Height);
        }

        // The boxes' one check that needs the image: the scan has its size, so it is made here rather than when a run reads it.
        string? problem = sample.Targets?.Boxes?.Problem(new Size(width, height));
        return new ScannedFile(sample.Id, sample.Label, bytes.Length, header.Format, width, height, sha, null) { AnnotationProblem = problem };
    }
}
