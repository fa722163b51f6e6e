using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a semantic segmentation dataset of folder pairs: <c>images/&lt;stem&gt;.*</c> and <c>masks/&lt;stem&gt;.png</c>, each
/// mask a label map (a pixel's value is its class), read when the sample is: one sample per image, in ordinal order of its
/// path, its mask as <see cref="SampleTargets.SemanticMask"/>.
/// </summary>
/// <remarks>
/// <para>The root posted to the pipeline is the folder holding <c>images</c> and <c>masks</c> (with a split,
/// <c>images/&lt;split&gt;</c> and <c>masks/&lt;split&gt;</c>), searched with their sub-folders; an image and its mask have
/// the same path below them but for the extension.</para>
/// <para>Masks: an 8-bit grayscale PNG is read as it is; a palette PNG by its palette indices (not its colours), as VOC's
/// <c>SegmentationClass</c> is written. The value <see cref="IgnoreValue"/> (255, VOC's object outlines) means "ignore" and
/// is kept as it is; every other value must be a class, else the read fails naming the mask and the value. A mask must have
/// its image's size.</para>
/// <para>Classes are the ones given. A segmentation set has no per-image class: every sample's <see cref="SampleInfo.Label"/>
/// is 0.</para>
/// <para>Discovery pairs every file: an image without a mask, and a mask without an image, fail the run naming each.</para>
/// </remarks>
public sealed class SegmentationSampleSource : ISampleSource
{
    /// <summary>The mask value that means "ignore this pixel" (VOC's outlines; the usual <c>ignore_index</c> of the loss).</summary>
    public const byte IgnoreValue = 255;

    private static readonly HashSet<string> ImageExtensions = new(FolderSampleSource.DefaultExtensions, StringComparer.OrdinalIgnoreCase);
    private readonly IReadOnlyList<string> _classNames;
    private readonly string? _split;
    private readonly FileReader _reader = new();

    /// <summary>Creates a source.</summary>
    /// <param name="classNames">The classes, indexed by mask value (at most 255: the value 255 is <see cref="IgnoreValue"/>).</param>
    /// <param name="split">The sub-folder of <c>images</c> and <c>masks</c> to read, or null for the folders themselves.</param>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> is empty, holds more than 255 names, or an empty one.</exception>
    public SegmentationSampleSource(IReadOnlyList<string> classNames, string? split = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count is 0 or > IgnoreValue || classNames.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"Parameter \"{nameof(classNames)}\" must hold 1 to 255 non-empty names, was {classNames.Count}.", nameof(classNames));
        }

        _classNames = [.. classNames];
        _split = split;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">An image has no mask or a mask no image (each named), or several roots were posted.</exception>
    /// <exception cref="FileNotFoundException">The <c>images</c> or <c>masks</c> folder does not exist.</exception>
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != 1)
        {
            throw new InvalidDataException($"A segmentation source reads one folder of images and masks; {roots.Count} roots were posted: '{string.Join("', '", roots)}'.");
        }

        string root = Path.GetFullPath(roots[0]);
        string images = Folder(root, "images"), masks = Folder(root, "masks");
        var problems = new DatasetProblems($"Segmentation dataset '{root}'");
        var maskFiles = Directory.EnumerateFiles(masks, "*.png", SearchOption.AllDirectories)
            .ToDictionary(m => Path.ChangeExtension(Path.GetRelativePath(masks, m), null), StringComparer.Ordinal);
        var samples = new List<SampleInfo>();
        var paired = new HashSet<string>(StringComparer.Ordinal);
        foreach (string image in Directory.EnumerateFiles(images, "*", SearchOption.AllDirectories).Where(f => ImageExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string stem = Path.ChangeExtension(Path.GetRelativePath(images, image), null);
            if (!maskFiles.TryGetValue(stem, out string? mask))
            {
                problems.Add($"image '{image}' has no mask '{Path.Combine(masks, stem + ".png")}'");
                continue;
            }

            if (!paired.Add(stem))
            {
                problems.Add($"image '{image}' shares the mask '{mask}' with another image of the same name");
                continue;
            }

            samples.Add(new SampleInfo(samples.Count, image, 0) { Targets = new SampleTargets { SemanticMask = new MaskFile(mask, _classNames.Count) } });
        }

        foreach ((string stem, string mask) in maskFiles.Where(m => !paired.Contains(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            problems.Add($"mask '{mask}' has no image '{Path.Combine(images, stem)}.*'");
        }

        problems.ThrowIfAny();
        return Task.FromResult(new SampleSet(_classNames, samples) { TargetSchema = new TargetSchema(TargetKinds.SemanticMask, _classNames) });
    }

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.ReadOnCallingThread(info, buffers));

    private PooledBuffer ReadOnCallingThread(SampleInfo sample, BufferPool pool) => _reader.Read(sample.Id, pool);

    private string Folder(string root, string name)
    {
        string folder = _split is null ? Path.Combine(root, name) : Path.Combine(root, name, _split);
        return Directory.Exists(folder) ? folder : throw new FileNotFoundException($"The segmentation folder '{folder}' does not exist (a segmentation dataset is images/ and masks/ of the same names).", folder);
    }

    /// <summary>A mask file, read when its sample is, checked for its size and its values.</summary>
    private sealed class MaskFile(string path, int classes) : IMaskSource
    {
        public Mat Render(Size size)
        {
            Mat mask = LabelMapPng.Read(path);
            try
            {
                if (mask.Size() != size)
                {
                    throw new InvalidDataException($"Mask '{path}' is {mask.Width}x{mask.Height}; its image is {size.Width}x{size.Height}.");
                }

                ReadOnlySpan<byte> pixels = mask.AsSpan<byte>();
                int at = classes < IgnoreValue ? pixels.IndexOfAnyInRange((byte)classes, (byte)(IgnoreValue - 1)) : -1;
                if (at >= 0)
                {
                    throw new InvalidDataException(
                        $"Mask '{path}' has the value {pixels[at]} at ({at % size.Width}, {at / size.Width}); the dataset has {classes} classes (0 to {classes - 1}) and {IgnoreValue} for ignore.");
                }

                return mask;
            }
            catch
            {
                mask.Dispose();
                throw;
            }
        }

        public override string ToString() => path;
    }
}
