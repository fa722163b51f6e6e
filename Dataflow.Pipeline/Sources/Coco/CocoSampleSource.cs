using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a COCO instances dataset (an annotation file such as <c>instances_train2017.json</c> and its images): one sample
/// per image, in image id order, with its boxes, instance masks and keypoints as <see cref="SampleInfo.Targets"/>.
/// </summary>
/// <remarks>
/// <para>The root posted to the pipeline is the annotation file, or a folder laid out as COCO publishes it:
/// <c>DIR/annotations/instances_&lt;split&gt;.json</c> (exactly one; <c>person_keypoints_&lt;split&gt;.json</c> when there is no
/// instances file) with the images in <c>DIR/&lt;split&gt;/</c>. An image's <c>file_name</c> is relative to the image root:
/// the one given to the constructor, else <c>&lt;split&gt;/</c> beside the <c>annotations</c> folder when it exists, else the
/// annotation file's own folder (<see cref="Locate"/>).</para>
/// <para>Classes: the categories in id order (ids 1 to 90 become classes 0 to 79 in COCO 2017), named by their <c>name</c>;
/// the set's <see cref="SampleSet.ClassNames"/> are those, then one more, <see cref="NoObjectClass"/>. A sample's
/// <see cref="SampleInfo.Label"/> (the class of the image as a whole, which the stratified split keeps in proportion) is the
/// class of its largest box by area (a crowd box only when it has no other), or <see cref="NoObjectClass"/> for an image
/// without boxes: images without annotations are kept, as negatives.</para>
/// <para>Targets: boxes as COCO writes them (<see cref="BoxFormat.Xywh"/> pixels) with the field <c>iscrowd</c>; an instance
/// mask per box, drawn when the sample is read (<see cref="CocoMasks"/>: polygons with OpenCV, RLE decoded), empty for an
/// annotation without a segmentation; keypoints per box when a category has them (a box of a category without keypoints has
/// them all unlabelled), with the flip pairs of their <c>left_</c>/<c>right_</c> names and the category's skeleton.</para>
/// <para>Everything the file says is checked at discovery, before any image is read (<see cref="CocoDataset"/>): a bad
/// annotation fails the run naming the file and the annotation's id, and so does an image file that is missing. A box of
/// zero size is passed over and listed in <see cref="SampleSet.Ignored"/> with its id. An image whose decoded size is not
/// its <c>width</c> and <c>height</c> fails when its mask is drawn, naming the image.</para>
/// </remarks>
public sealed class CocoSampleSource : ISampleSource
{
    /// <summary>The name of the extra class of the images without boxes.</summary>
    public const string NoObjectClass = "(no object)";

    private readonly string? _imageRoot;
    private readonly FileReader _reader = new();

    /// <summary>Creates a source.</summary>
    /// <param name="imageRoot">The folder the images' <c>file_name</c> are relative to; null for the COCO layout's (see remarks).</param>
    public CocoSampleSource(string? imageRoot = null)
    {
        _imageRoot = imageRoot is null ? null : Path.GetFullPath(imageRoot);
    }

    /// <summary>The annotation file and the image root that <paramref name="data"/> (a file or a COCO folder) stands for.</summary>
    /// <param name="data">The annotation file, or a folder holding <c>annotations/instances_&lt;split&gt;.json</c>.</param>
    /// <param name="imageRoot">The image root, or null for the layout's.</param>
    /// <exception cref="FileNotFoundException"><paramref name="data"/> does not exist, or the folder holds no annotation file.</exception>
    /// <exception cref="InvalidDataException">The folder holds several annotation files: which one is for the user to say.</exception>
    public static (string AnnotationFile, string ImageRoot) Locate(string data, string? imageRoot = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        string full = Path.GetFullPath(data);
        string file;
        if (File.Exists(full))
        {
            file = full;
        }
        else if (Directory.Exists(full))
        {
            file = FindAnnotationFile(full) ?? throw new FileNotFoundException(
                $"The folder '{full}' holds no COCO annotation file (annotations/instances_<split>.json or annotations/person_keypoints_<split>.json).", full);
        }
        else
        {
            throw new FileNotFoundException($"The COCO annotation file or folder '{full}' does not exist.", full);
        }

        return (file, imageRoot is null ? DefaultImageRoot(file) : Path.GetFullPath(imageRoot));
    }

    /// <summary>True when <paramref name="folder"/> is laid out as a COCO dataset (an <c>annotations</c> folder with an instances or keypoints file).</summary>
    public static bool IsCocoFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string annotations = Path.Combine(folder, "annotations");
        return Directory.Exists(annotations) && Candidates(annotations).Length > 0;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The file is not valid COCO (the message names the file and each bad entry), or several roots were posted.</exception>
    /// <exception cref="FileNotFoundException">The file, or an image it names, does not exist.</exception>
    public async Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != 1)
        {
            throw new InvalidDataException($"A COCO source reads one annotation file (or COCO folder); {roots.Count} roots were posted: '{string.Join("', '", roots)}'.");
        }

        (string file, string imageRoot) = Locate(roots[0], _imageRoot);
        CocoDataset dataset = await CocoDataset.LoadAsync(file, imageRoot, checkFiles: true, cancellationToken).ConfigureAwait(false);
        return CreateSet(dataset);
    }

    /// <summary>The samples of <paramref name="dataset"/>, with their targets and the schema.</summary>
    internal static SampleSet CreateSet(CocoDataset dataset)
    {
        CocoCategory[] withKeypoints = [.. dataset.Categories.Where(c => c.KeypointNames.Count > 0)];
        if (withKeypoints.Skip(1).FirstOrDefault(c => !c.KeypointNames.SequenceEqual(withKeypoints[0].KeypointNames, StringComparer.Ordinal)) is CocoCategory other)
        {
            throw new InvalidDataException(
                $"COCO file '{dataset.FilePath}': categories {withKeypoints[0].Id} ('{withKeypoints[0].Name}') and {other.Id} ('{other.Name}') name different keypoints; one dataset has one list of keypoints.");
        }

        CocoCategory? keypointCategory = withKeypoints.FirstOrDefault();
        bool masks = dataset.Annotations.Any(a => a.Segmentation is not null);
        TargetKinds kinds = TargetKinds.Boxes | (masks ? TargetKinds.InstanceMasks : 0) | (keypointCategory is null ? 0 : TargetKinds.Keypoints);
        var schema = new TargetSchema(kinds, dataset.ClassNames)
        {
            KeypointNames = keypointCategory?.KeypointNames ?? [],
            FlipPairs = keypointCategory?.FlipPairs ?? [],
            Skeleton = keypointCategory?.Skeleton ?? [],
        };
        int noObject = dataset.ClassNames.Count;
        var samples = new SampleInfo[dataset.Images.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            CocoImage image = dataset.Images[i];
            ArraySegment<CocoAnnotation> annotations = dataset.AnnotationsOf(image);
            SampleTargets targets = Targets(image, annotations, masks, keypointCategory);
            samples[i] = new SampleInfo(i, image.Path, targets.Boxes!.LargestClass(noObject)) { State = image, Targets = targets };
        }

        return new SampleSet([.. dataset.ClassNames, NoObjectClass], samples, dataset.Ignored) { TargetSchema = schema };
    }

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.ReadOnCallingThread(info, buffers));

    private PooledBuffer ReadOnCallingThread(SampleInfo sample, BufferPool pool) => _reader.Read(sample.Id, pool);

    private static SampleTargets Targets(CocoImage image, ArraySegment<CocoAnnotation> annotations, bool masks, CocoCategory? keypointCategory)
    {
        int n = annotations.Count;
        var coordinates = new float[4 * n];
        var classes = new int[n];
        var crowd = new int[n];
        int perInstance = keypointCategory?.KeypointNames.Count ?? 0;
        float[]? keypoints = keypointCategory is null ? null : new float[3 * perInstance * n];
        IMaskSource[]? instanceMasks = masks ? new IMaskSource[n] : null;
        for (int i = 0; i < n; i++)
        {
            CocoAnnotation a = annotations[i];
            (coordinates[4 * i], coordinates[4 * i + 1], coordinates[4 * i + 2], coordinates[4 * i + 3]) = (a.X, a.Y, a.Width, a.Height);
            classes[i] = a.Class;
            crowd[i] = a.IsCrowd ? 1 : 0;
            if (keypoints is not null && a.Keypoints is float[] own)
            {
                own.CopyTo(keypoints, 3 * perInstance * i);
            }

            if (instanceMasks is not null)
            {
                instanceMasks[i] = new CocoMaskSource(image, a);
            }
        }

        return new SampleTargets
        {
            Boxes = new BoundingBoxes(coordinates, classes, BoxFormat.Xywh, new Dictionary<string, int[]> { ["iscrowd"] = crowd }),
            InstanceMasks = instanceMasks,
            Keypoints = keypoints is null ? null : new Keypoints(keypoints, n, perInstance),
        };
    }

    private static string? FindAnnotationFile(string folder)
    {
        string annotations = Path.Combine(folder, "annotations");
        string[] found = Directory.Exists(annotations) ? Candidates(annotations) : [];
        if (found.Length > 1)
        {
            throw new InvalidDataException(
                $"The COCO folder '{folder}' holds {found.Length} annotation files ('{string.Join("', '", found.Select(Path.GetFileName))}'): name the one to read (its path instead of the folder).");
        }

        return found.FirstOrDefault();
    }

    /// <summary>The instances files of an <c>annotations</c> folder, else its keypoints files, in name order.</summary>
    private static string[] Candidates(string annotations)
    {
        string[] instances = [.. Directory.GetFiles(annotations, "instances_*.json").Order(StringComparer.Ordinal)];
        return instances.Length > 0 ? instances : [.. Directory.GetFiles(annotations, "person_keypoints_*.json").Order(StringComparer.Ordinal)];
    }

    /// <summary><c>DIR/&lt;split&gt;</c> for <c>DIR/annotations/instances_&lt;split&gt;.json</c> when that folder exists, else the file's folder.</summary>
    private static string DefaultImageRoot(string file)
    {
        string folder = Path.GetDirectoryName(file)!;
        string name = Path.GetFileNameWithoutExtension(file);
        int split = name.IndexOf('_', StringComparison.Ordinal);
        if (name.StartsWith("person_keypoints_", StringComparison.Ordinal))
        {
            split = "person_keypoints".Length;
        }

        if (split > 0 && string.Equals(Path.GetFileName(folder), "annotations", StringComparison.Ordinal) && Path.GetDirectoryName(folder) is string parent)
        {
            string images = Path.Combine(parent, name[(split + 1)..]);
            if (Directory.Exists(images))
            {
                return images;
            }
        }

        return folder;
    }

    /// <summary>An annotation's mask, drawn when its sample is read, at the image's size as the file gives it.</summary>
    private sealed class CocoMaskSource(CocoImage image, CocoAnnotation annotation) : IMaskSource
    {
        public Mat Render(Size size)
        {
            if (size.Width != image.Width || size.Height != image.Height)
            {
                throw new InvalidDataException(
                    $"Image {image.Id} ('{image.Path}') decodes to {size.Width}x{size.Height}; the COCO file gives {image.Width}x{image.Height}, which its masks are drawn at.");
            }

            return annotation.Segmentation is CocoSegmentation segmentation
                ? CocoMasks.Draw(segmentation, size.Height, size.Width)
                : new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        }

        public override string ToString() => annotation.ToString();
    }
}
