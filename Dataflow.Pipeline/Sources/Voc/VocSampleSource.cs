using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a Pascal VOC detection dataset: <c>Annotations/&lt;id&gt;.xml</c> per image, the images in <c>JPEGImages/</c>, and
/// the split lists <c>ImageSets/Main/&lt;split&gt;.txt</c>: one sample per image, with its boxes and their <c>difficult</c>
/// and <c>truncated</c> flags as <see cref="SampleInfo.Targets"/>.
/// </summary>
/// <remarks>
/// <para>The root posted to the pipeline is the VOC folder (<c>VOCdevkit/VOC2012</c>). With a split, the ids are the first
/// word of each line of its list, in the list's order; without one, every <c>Annotations/*.xml</c>, in ordinal order of the
/// id. An image is <c>JPEGImages/</c> and the annotation's <c>filename</c>, or <c>&lt;id&gt;.jpg</c> when it has none.</para>
/// <para>Boxes: VOC's <c>xmin</c>, <c>ymin</c>, <c>xmax</c>, <c>ymax</c> are 1-based pixel numbers, both ends inside the
/// box; in the library's continuous pixels (pixel i spans [i, i + 1], from 0) the box is
/// (<c>xmin</c> − 1, <c>ymin</c> − 1, <c>xmax</c>, <c>ymax</c>) in <see cref="BoxFormat.Xyxy"/>, so a box of one pixel
/// (<c>xmin</c> = <c>xmax</c>) is one pixel wide. The fields <c>difficult</c> and <c>truncated</c> (0 or 1; 0 when absent)
/// go with each box.</para>
/// <para>Classes: the ones given to the constructor; else the 20 VOC classes (<see cref="VocClasses"/>, in the devkit's
/// order) when every object's name is one of them; else every name found, in ordinal order. The set's
/// <see cref="SampleSet.ClassNames"/> add <see cref="NoObjectClass"/>; an image's <see cref="SampleInfo.Label"/> is the class
/// of its largest box that is not difficult (of its largest box when all are), or that class when it has none.</para>
/// <para>Every annotation is read and checked at discovery, before any image is: a file that is not XML, a missing or bad
/// <c>size</c>, an object without a name or a <c>bndbox</c> of four numbers, a box inverted or outside its
/// <c>size</c> (0 is taken for 1, as some tools write it), a flag other than 0 or 1, a name not among given classes, an id
/// of a split list without its annotation file, a missing image: each named by its file, the line and the object.</para>
/// </remarks>
public sealed class VocSampleSource : ISampleSource
{
    /// <summary>The name of the extra class of the images without boxes.</summary>
    public const string NoObjectClass = "(no object)";

    private readonly string? _split;
    private readonly IReadOnlyList<string>? _classNames;
    private readonly FileReader _reader = new();

    /// <summary>Creates a source.</summary>
    /// <param name="split">The list of <c>ImageSets/Main</c> to read (<c>train</c>, <c>val</c>, <c>trainval</c>, …), or null for every annotation.</param>
    /// <param name="classNames">The classes, or null to take them from the annotations (see remarks).</param>
    /// <exception cref="ArgumentException">A class name is empty or appears twice.</exception>
    public VocSampleSource(string? split = null, IReadOnlyList<string>? classNames = null)
    {
        if (classNames is not null && (classNames.Any(string.IsNullOrEmpty) || classNames.Distinct(StringComparer.Ordinal).Count() != classNames.Count))
        {
            throw new ArgumentException($"Parameter \"{nameof(classNames)}\" must hold distinct, non-empty names, was [{string.Join(", ", classNames)}].", nameof(classNames));
        }

        _split = split;
        _classNames = classNames is null ? null : [.. classNames];
    }

    /// <summary>The 20 classes of Pascal VOC 2007 to 2012, in the devkit's order.</summary>
    public static IReadOnlyList<string> VocClasses { get; } =
    [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    /// <summary>True when <paramref name="folder"/> holds an <c>Annotations</c> and a <c>JPEGImages</c> folder.</summary>
    public static bool IsVocFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return Directory.Exists(Path.Combine(folder, "Annotations")) && Directory.Exists(Path.Combine(folder, "JPEGImages"));
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">An annotation is malformed (the message names each file, line and object), or several roots were posted.</exception>
    /// <exception cref="FileNotFoundException">The folder, its split list or an image does not exist.</exception>
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != 1)
        {
            throw new InvalidDataException($"A VOC source reads one VOC folder; {roots.Count} roots were posted: '{string.Join("', '", roots)}'.");
        }

        string root = Path.GetFullPath(roots[0]);
        string annotations = Path.Combine(root, "Annotations");
        if (!Directory.Exists(annotations))
        {
            throw new FileNotFoundException($"The VOC folder '{root}' has no Annotations folder.", annotations);
        }

        var problems = new DatasetProblems($"VOC dataset '{root}'" + (_split is null ? string.Empty : $" ({_split})"));
        var parsed = new List<VocImage>();
        foreach ((string id, string owner) in Ids(root, annotations))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string file = Path.Combine(annotations, id + ".xml");
            if (!File.Exists(file))
            {
                problems.Add($"{owner}: id '{id}' has no annotation file '{file}'");
                continue;
            }

            if (Parse(file, id, root, problems) is VocImage image)
            {
                if (!File.Exists(image.Path))
                {
                    problems.Missing(image.Path, $"'{file}'");
                }

                parsed.Add(image);
            }
        }

        problems.ThrowIfAny();
        IReadOnlyList<string> classes = _classNames
            ?? (parsed.SelectMany(i => i.Objects).All(o => VocClasses.Contains(o.Name)) ? VocClasses
                : [.. parsed.SelectMany(i => i.Objects).Select(o => o.Name).Distinct().Order(StringComparer.Ordinal)]);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Count; c++)
        {
            index[classes[c]] = c;
        }

        foreach (VocImage image in parsed)
        {
            foreach (VocObject o in image.Objects.Where(o => !index.ContainsKey(o.Name)))
            {
                problems.Add($"'{image.File}' line {o.Line}: object {o.Number} is a '{o.Name}', not one of the {classes.Count} classes given");
            }
        }

        problems.ThrowIfAny();
        var samples = new SampleInfo[parsed.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            VocImage image = parsed[i];
            int n = image.Objects.Count;
            var coordinates = new float[4 * n];
            var boxClasses = new int[n];
            var difficult = new int[n];
            var truncated = new int[n];
            for (int k = 0; k < n; k++)
            {
                VocObject o = image.Objects[k];
                (coordinates[4 * k], coordinates[4 * k + 1], coordinates[4 * k + 2], coordinates[4 * k + 3]) = (o.XMin - 1, o.YMin - 1, o.XMax, o.YMax);
                (boxClasses[k], difficult[k], truncated[k]) = (index[o.Name], o.Difficult, o.Truncated);
            }

            var fields = new Dictionary<string, int[]> { ["difficult"] = difficult, ["truncated"] = truncated };
            var boxes = new BoundingBoxes(coordinates, boxClasses, BoxFormat.Xyxy, fields);
            // Boxes that are not difficult outrank every difficult one.
            samples[i] = new SampleInfo(i, image.Path, boxes.LargestClass(classes.Count, "difficult")) { Targets = new SampleTargets { Boxes = boxes } };
        }

        var schema = new TargetSchema(TargetKinds.Boxes, classes);
        return Task.FromResult(new SampleSet([.. classes, NoObjectClass], samples) { TargetSchema = schema });
    }

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.ReadOnCallingThread(info, buffers));

    private PooledBuffer ReadOnCallingThread(SampleInfo sample, BufferPool pool) => _reader.Read(sample.Id, pool);

    /// <summary>The ids to read, each with what names it in errors: the split list's lines, or every annotation file.</summary>
    private IEnumerable<(string Id, string Owner)> Ids(string root, string annotations)
    {
        if (_split is null)
        {
            foreach (string file in Directory.EnumerateFiles(annotations, "*.xml").Order(StringComparer.Ordinal))
            {
                yield return (Path.GetFileNameWithoutExtension(file), $"'{file}'");
            }

            yield break;
        }

        string list = Path.Combine(root, "ImageSets", "Main", _split + ".txt");
        if (!File.Exists(list))
        {
            throw new FileNotFoundException($"The VOC split list '{list}' does not exist.", list);
        }

        int line = 0;
        foreach (string text in File.ReadLines(list))
        {
            line++;
            string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0)
            {
                yield return (words[0], $"'{list}' line {line}");
            }
        }
    }

    private static VocImage? Parse(string file, string id, string root, DatasetProblems problems)
    {
        XElement annotation;
        try
        {
            annotation = XDocument.Load(file, LoadOptions.SetLineInfo).Root!;
        }
        catch (XmlException e)
        {
            problems.Add($"'{file}' is not XML: {e.Message}");
            return null;
        }

        int count = problems.Count;
        XElement? size = annotation.Element("size");
        int width = Int(size?.Element("width")) ?? 0, height = Int(size?.Element("height")) ?? 0;
        if (width <= 0 || height <= 0)
        {
            (width, height) = (0, 0);
            problems.Add(size is null
                ? $"'{file}' has no <size> (the image's width and height, which the boxes are checked against)"
                : $"'{file}' line {Line(size)}: <size> has no <width> and <height> above 0");
        }

        var objects = new List<VocObject>();
        int number = 0;
        foreach (XElement o in annotation.Elements("object"))
        {
            number++;
            string where = $"'{file}' line {Line(o)}: object {number}";
            string? name = o.Element("name")?.Value.Trim();
            XElement? box = o.Element("bndbox");
            float?[] corners = [Number(box?.Element("xmin")), Number(box?.Element("ymin")), Number(box?.Element("xmax")), Number(box?.Element("ymax"))];
            int? difficult = Flag(o.Element("difficult")), truncated = Flag(o.Element("truncated"));
            if (string.IsNullOrEmpty(name))
            {
                problems.Add($"{where} has no <name>");
            }
            else if (corners.Any(c => c is null))
            {
                problems.Add($"{where} ('{name}') has no <bndbox> of four numbers (xmin, ymin, xmax, ymax)");
            }
            else if (difficult is null || truncated is null)
            {
                problems.Add($"{where} ('{name}'): <difficult> and <truncated> must be 0 or 1");
            }
            else
            {
                float x1 = corners[0]!.Value, y1 = corners[1]!.Value, x2 = corners[2]!.Value, y2 = corners[3]!.Value;
                string shown = string.Create(CultureInfo.InvariantCulture, $"({x1}, {y1}, {x2}, {y2})");
                if (x1 > x2 || y1 > y2)
                {
                    problems.Add($"{where} ('{name}'): bndbox {shown} is inverted (xmin above xmax or ymin above ymax)");
                }
                else if (width > 0 && (x1 < 0 || y1 < 0 || x2 > width || y2 > height))
                {
                    problems.Add($"{where} ('{name}'): bndbox {shown} lies outside its {width}x{height} image (1 to {width}, 1 to {height})");
                }
                else
                {
                    // 0 is written by some tools for the first pixel: taken as 1.
                    objects.Add(new VocObject(number, Line(o), name, Math.Max(x1, 1), Math.Max(y1, 1), x2, y2, difficult.Value, truncated.Value));
                }
            }
        }

        if (problems.Count != count)
        {
            return null;
        }

        string fileName = annotation.Element("filename")?.Value.Trim() is { Length: > 0 } given ? given : id + ".jpg";
        return new VocImage(file, Path.GetFullPath(Path.Combine(root, "JPEGImages", fileName)), objects);
    }

    private static int Line(XElement element) => ((IXmlLineInfo)element).LineNumber;

    private static int? Int(XElement? element) =>
        element is not null && int.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : null;

    private static float? Number(XElement? element) =>
        element is not null && float.TryParse(element.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value) ? value : null;

    private static int? Flag(XElement? element) => element is null ? 0 : Int(element) is int v and (0 or 1) ? v : null;

    private sealed record VocObject(int Number, int Line, string Name, float XMin, float YMin, float XMax, float YMax, int Difficult, int Truncated);

    private sealed record VocImage(string File, string Path, IReadOnlyList<VocObject> Objects);
}
