using System.Globalization;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a dataset in the Ultralytics YOLO layout: <c>data.yaml</c> with <c>images/&lt;split&gt;/*.jpg</c> and a label file
/// <c>labels/&lt;split&gt;/&lt;stem&gt;.txt</c> per image, whose lines are boxes, segment polygons or pose keypoints.
/// </summary>
/// <remarks>
/// <para>The root posted to the pipeline is the <c>data.yaml</c> file, or the folder holding it. Of the file: <c>path</c> (the
/// dataset root; relative to the file's folder, which it is when absent), the split's entry (<c>train</c>, <c>val</c> or
/// <c>test</c>: a folder of images, searched with its sub-folders, or a <c>.txt</c> list of image paths relative to the list's
/// folder, or a list of either; relative to the root), <c>names</c> (a list, or a map from 0), and for pose <c>kpt_shape</c>
/// ([keypoints, 2 or 3]) and <c>flip_idx</c>. An image's label file is the image's path with its last <c>images</c> folder
/// replaced by <c>labels</c> and its extension by <c>.txt</c>, as Ultralytics finds it; an image without one (or with an empty
/// one) is a negative.</para>
/// <para>Lines (blank lines are passed over), every number normalized by the image's width and height:
/// <c>class cx cy w h</c> is a box (<see cref="BoxFormat.CxcywhNormalized"/>); <c>class x1 y1 x2 y2 x3 y3 …</c> (at least three
/// points) is a segment: its polygon becomes the box's instance mask, drawn when the sample is read, and its bounds the box;
/// with <c>kpt_shape</c>, <c>class cx cy w h</c> then x, y (and visibility 0, 1 or 2 when the shape's second number is 3; 2,
/// visible, when it is 2) per keypoint. A dataset's lines are all boxes or all segments, not a mix (a box line has no mask
/// for its instance).</para>
/// <para>Classes: <c>names</c>, and one more, <see cref="NoObjectClass"/>, for the set's per-image
/// <see cref="SampleInfo.Label"/> (the class of the largest box, or that one for a negative). Keypoints are named "0", "1", …;
/// <c>flip_idx</c> gives their flip pairs.</para>
/// <para>Every label file is read and checked at discovery, before any image is: a wrong count of numbers, a value that is not
/// a number or lies outside [0, 1], a class id that is not one of <c>names</c> fail the run, each named by its file and line,
/// and so does an image of a list that does not exist. A file of a split's folder that is not an image is listed in
/// <see cref="SampleSet.Ignored"/>.</para>
/// </remarks>
public sealed class YoloSampleSource : ISampleSource
{
    /// <summary>The name of the extra class of the images without boxes.</summary>
    public const string NoObjectClass = "(no object)";

    private static readonly HashSet<string> ImageExtensions = new(FolderSampleSource.DefaultExtensions, StringComparer.OrdinalIgnoreCase);
    private readonly FileReader _reader = new();

    /// <summary>Creates a source of one split.</summary>
    /// <param name="split">The split of <c>data.yaml</c> to read: <c>train</c>, <c>val</c> or <c>test</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="split"/> is not one of those.</exception>
    public YoloSampleSource(string split = "train")
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split is not ("train" or "val" or "test"))
        {
            throw new ArgumentException($"Parameter \"{nameof(split)}\" must be train, val or test, was '{split}'.", nameof(split));
        }

        Split = split;
    }

    /// <summary>The split read.</summary>
    public string Split { get; }

    /// <summary>True when <paramref name="folder"/> holds a <c>data.yaml</c>.</summary>
    public static bool IsYoloFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return File.Exists(Path.Combine(folder, "data.yaml"));
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException"><c>data.yaml</c> or a label file is malformed (the message names each file and line), the split is not in <c>data.yaml</c>, or several roots were posted.</exception>
    /// <exception cref="FileNotFoundException">There is no <c>data.yaml</c>, a split's folder or list does not exist, or an image a list names does not.</exception>
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != 1)
        {
            throw new InvalidDataException($"A YOLO source reads one data.yaml (or the folder holding it); {roots.Count} roots were posted: '{string.Join("', '", roots)}'.");
        }

        string full = Path.GetFullPath(roots[0]);
        string file = Directory.Exists(full) ? Path.Combine(full, "data.yaml") : full;
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"The YOLO data file '{file}' does not exist (a YOLO dataset is a data.yaml with its images and labels).", file);
        }

        YoloDataYaml data = YoloDataYaml.Load(file);
        return Task.FromResult(Read(data, cancellationToken));
    }

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.ReadOnCallingThread(info, buffers));

    private PooledBuffer ReadOnCallingThread(SampleInfo sample, BufferPool pool) => _reader.Read(sample.Id, pool);

    /// <summary>The path of the label file of the image at <paramref name="image"/>: its last <c>images</c> folder made <c>labels</c>, its extension <c>.txt</c>.</summary>
    internal static string LabelPath(string image)
    {
        string sep = Path.DirectorySeparatorChar.ToString();
        string images = sep + "images" + sep;
        int at = image.LastIndexOf(images, StringComparison.Ordinal);
        string path = at < 0 ? image : string.Concat(image.AsSpan(0, at), sep + "labels" + sep, image.AsSpan(at + images.Length));
        return Path.ChangeExtension(path, ".txt");
    }

    private SampleSet Read(YoloDataYaml data, CancellationToken cancellationToken)
    {
        if (!data.Splits.TryGetValue(Split, out IReadOnlyList<string>? entries))
        {
            throw new InvalidDataException($"YOLO data file '{data.FilePath}' has no '{Split}' split (it has: {string.Join(", ", data.Splits.Keys)}).");
        }

        var ignored = new List<IgnoredEntry>();
        var problems = new DatasetProblems($"YOLO dataset '{data.FilePath}' ({Split})");
        List<string> images = Images(entries, ignored, problems);
        var parsed = new ParsedLabels[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            parsed[i] = ParseLabels(LabelPath(images[i]), data, problems);
        }

        problems.ThrowIfAny();
        (string File, int Line)? firstBox = null, firstSegment = null;
        foreach (ParsedLabels p in parsed)
        {
            firstBox ??= p.FirstBoxLine is int b ? (p.File, b) : null;
            firstSegment ??= p.FirstSegmentLine is int s ? (p.File, s) : null;
        }

        if (firstBox is { } box && firstSegment is { } segment)
        {
            throw new InvalidDataException(
                $"YOLO dataset '{data.FilePath}' ({Split}) mixes boxes ('{box.File}' line {box.Line}) and segments ('{segment.File}' line {segment.Line}): a dataset's label lines are all boxes (class cx cy w h) or all segments (class x1 y1 x2 y2 …).");
        }

        bool masks = firstSegment is not null;
        bool pose = data.KeypointCount > 0;
        TargetKinds kinds = TargetKinds.Boxes | (masks ? TargetKinds.InstanceMasks : 0) | (pose ? TargetKinds.Keypoints : 0);
        var flipPairs = new List<(int, int)>();
        for (int k = 0; k < (data.FlipIndex?.Count ?? 0); k++)
        {
            if (data.FlipIndex![k] > k)
            {
                flipPairs.Add((k, data.FlipIndex[k]));
            }
        }

        var schema = new TargetSchema(kinds, data.Names)
        {
            KeypointNames = [.. Enumerable.Range(0, data.KeypointCount).Select(k => k.ToString(CultureInfo.InvariantCulture))],
            FlipPairs = flipPairs,
        };

        var samples = new SampleInfo[images.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            ParsedLabels p = parsed[i];
            var targets = new SampleTargets
            {
                Boxes = new BoundingBoxes(p.Boxes.ToArray(), p.Classes.ToArray(), BoxFormat.CxcywhNormalized),
                InstanceMasks = masks ? [.. p.Polygons.Select(polygon => MaskSource.FromPolygons([polygon], 1, normalized: true))] : null,
                Keypoints = pose ? new Keypoints(p.Keypoints.ToArray(), p.Classes.Count, data.KeypointCount, normalized: true) : null,
            };
            samples[i] = new SampleInfo(i, images[i], targets.Boxes.LargestClass(data.Names.Count)) { Targets = targets };
        }

        return new SampleSet([.. data.Names, NoObjectClass], samples, ignored) { TargetSchema = schema };
    }

    /// <summary>The split's images in order: each entry's folder (searched with its sub-folders, in ordinal path order) or list.</summary>
    private static List<string> Images(IReadOnlyList<string> entries, List<IgnoredEntry> ignored, DatasetProblems problems)
    {
        var images = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string entry in entries)
        {
            IEnumerable<string> found;
            if (Directory.Exists(entry))
            {
                var files = new List<string>();
                foreach (string path in Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    if (ImageExtensions.Contains(Path.GetExtension(path)))
                    {
                        files.Add(path);
                    }
                    else
                    {
                        ignored.Add(new IgnoredEntry(path, $"not an image (extension '{Path.GetExtension(path)}')"));
                    }
                }

                found = files;
            }
            else if (File.Exists(entry) && string.Equals(Path.GetExtension(entry), ".txt", StringComparison.OrdinalIgnoreCase))
            {
                string folder = Path.GetDirectoryName(entry)!;
                var listed = new List<string>();
                int line = 0;
                foreach (string text in File.ReadLines(entry))
                {
                    line++;
                    string trimmed = text.Trim();
                    if (trimmed.Length == 0)
                    {
                        continue;
                    }

                    string path = Path.GetFullPath(Path.Combine(folder, trimmed));
                    if (!File.Exists(path))
                    {
                        problems.Missing(path, $"'{entry}' line {line}");
                    }

                    listed.Add(path);
                }

                found = listed;
            }
            else
            {
                throw new FileNotFoundException($"The YOLO split folder or image list '{entry}' does not exist.", entry);
            }

            foreach (string image in found)
            {
                if (seen.Add(image))
                {
                    images.Add(image);
                }
                else
                {
                    ignored.Add(new IgnoredEntry(image, "listed twice in the split: read once"));
                }
            }
        }

        return images;
    }

    private static ParsedLabels ParseLabels(string file, YoloDataYaml data, DatasetProblems problems)
    {
        var parsed = new ParsedLabels(file);
        if (!File.Exists(file))
        {
            return parsed;
        }

        int line = 0;
        var numbers = new List<float>();
        foreach (string text in File.ReadLines(file))
        {
            line++;
            string[] tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
            {
                continue;
            }

            string where = $"'{file}' line {line}";
            if (!int.TryParse(tokens[0], NumberStyles.None, CultureInfo.InvariantCulture, out int cls) || cls >= data.Names.Count)
            {
                problems.Add($"{where}: class '{tokens[0]}' is not one of the {data.Names.Count} class ids of names (0 to {data.Names.Count - 1})");
                continue;
            }

            int values = tokens.Length - 1;
            int poseValues = 4 + data.KeypointCount * data.KeypointDims;
            if (data.KeypointCount > 0 ? values != poseValues : values != 4 && (values < 6 || values % 2 != 0))
            {
                string expected = data.KeypointCount > 0
                    ? $"a pose line is class cx cy w h and {data.KeypointCount} keypoints of {data.KeypointDims} (kpt_shape): {poseValues} numbers after the class"
                    : "a box is class cx cy w h (4 numbers after the class), a segment class x1 y1 x2 y2 x3 y3 … (an even count from 6)";
                problems.Add($"{where}: {values} numbers after the class; {expected}");
                continue;
            }

            numbers.Clear();
            bool bad = false;
            for (int t = 1; t < tokens.Length && !bad; t++)
            {
                if (!float.TryParse(tokens[t], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                {
                    problems.Add($"{where}: value {t} '{tokens[t]}' is not a number");
                    bad = true;
                }
                else if (v is < 0 or > 1 && !(data.KeypointDims == 3 && t > 4 && (t - 4) % 3 == 0))
                {
                    problems.Add($"{where}: value {t} ({tokens[t]}) lies outside [0, 1] (YOLO coordinates are normalized by the image's size)");
                    bad = true;
                }
                else
                {
                    numbers.Add(v);
                }
            }

            if (!bad && data.KeypointCount > 0 && !AddPose(numbers, data, where, parsed, problems))
            {
                bad = true;
            }

            if (bad)
            {
                continue;
            }

            parsed.Classes.Add(cls);
            if (data.KeypointCount > 0 || values == 4)
            {
                parsed.FirstBoxLine ??= data.KeypointCount > 0 ? null : line;
                parsed.Boxes.AddRange(numbers.Take(4));
                continue;
            }

            parsed.FirstSegmentLine ??= line;
            float[] polygon = [.. numbers];
            float x1 = 1, y1 = 1, x2 = 0, y2 = 0;
            for (int p = 0; p < polygon.Length; p += 2)
            {
                (x1, x2) = (Math.Min(x1, polygon[p]), Math.Max(x2, polygon[p]));
                (y1, y2) = (Math.Min(y1, polygon[p + 1]), Math.Max(y2, polygon[p + 1]));
            }

            parsed.Boxes.AddRange([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]);
            parsed.Polygons.Add(polygon);
        }

        return parsed;
    }

    /// <summary>Adds the keypoints of a pose line (after its box), checking each visibility; false when one is bad.</summary>
    private static bool AddPose(List<float> numbers, YoloDataYaml data, string where, ParsedLabels parsed, DatasetProblems problems)
    {
        int start = parsed.Keypoints.Count;
        for (int k = 0; k < data.KeypointCount; k++)
        {
            int at = 4 + k * data.KeypointDims;
            float v = data.KeypointDims == 3 ? numbers[at + 2] : 2;
            if (v is not (0 or 1 or 2))
            {
                problems.Add($"{where}: keypoint {k} has visibility {DatasetProblems.Show(v)} (0 not labelled, 1 hidden, 2 visible)");
                parsed.Keypoints.RemoveRange(start, parsed.Keypoints.Count - start);
                return false;
            }

            parsed.Keypoints.AddRange([numbers[at], numbers[at + 1], v]);
        }

        return true;
    }

    /// <summary>The checked lines of one label file.</summary>
    private sealed class ParsedLabels(string file)
    {
        public string File { get; } = file;

        public List<float> Boxes { get; } = [];

        public List<int> Classes { get; } = [];

        public List<float[]> Polygons { get; } = [];

        public List<float> Keypoints { get; } = [];

        public int? FirstBoxLine { get; set; }

        public int? FirstSegmentLine { get; set; }
    }
}
