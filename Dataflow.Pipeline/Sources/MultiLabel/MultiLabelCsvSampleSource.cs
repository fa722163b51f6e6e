using System.Text;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a multi-label dataset from a CSV file of <c>path,labels</c> rows: one sample per row, in the file's order, whose
/// classes (<see cref="SampleTargets.Labels"/>) the batch makes a multi-hot row.
/// </summary>
/// <remarks>
/// <para>The root posted to the pipeline is the CSV file. Each row has two fields, the image's path (relative to the image
/// root: the one given, else the CSV's folder) and its labels separated by <see cref="LabelSeparator"/> (a space by
/// default: <c>img/1.jpg,cat dog</c>; <c>'|'</c> for names with spaces: <c>img/1.jpg,"traffic light|car"</c>). Fields may
/// be quoted as RFC 4180 writes them (<c>"a,b.jpg"</c>, <c>""</c> for a quote). The first row is a header, and passed over,
/// when its first field is <c>path</c>, <c>file</c>, <c>filename</c>, <c>image</c> or <c>image_path</c> (any case). A row
/// without labels is a negative; a label written twice in a row counts once.</para>
/// <para>Classes: the ones given; else every label found, in ordinal order. The set's <see cref="SampleSet.ClassNames"/>
/// add <see cref="NoLabelClass"/>; a sample's <see cref="SampleInfo.Label"/> (what the stratified split keeps in proportion)
/// is its lowest class, or that one for a negative.</para>
/// <para>Every row is checked at discovery, before any image is read: a row without exactly two fields, an empty path, a
/// quote not closed, a path of an earlier row, a label not among the classes given fail the run, each named by the file and
/// the line; so does an image that does not exist.</para>
/// </remarks>
public sealed class MultiLabelCsvSampleSource : ISampleSource
{
    /// <summary>The name of the extra class of the rows without labels.</summary>
    public const string NoLabelClass = "(no label)";

    private static readonly string[] HeaderNames = ["path", "file", "filename", "image", "image_path"];
    private readonly string? _imageRoot;
    private readonly IReadOnlyList<string>? _classNames;
    private readonly FileReader _reader = new();

    /// <summary>Creates a source.</summary>
    /// <param name="imageRoot">The folder the paths are relative to; null for the CSV's folder.</param>
    /// <param name="labelSeparator">What separates the labels of a row; a space by default.</param>
    /// <param name="classNames">The classes, or null to collect them from the file in ordinal order.</param>
    /// <exception cref="ArgumentException"><paramref name="labelSeparator"/> is a comma or a quote, or a class name is empty or appears twice.</exception>
    public MultiLabelCsvSampleSource(string? imageRoot = null, char labelSeparator = ' ', IReadOnlyList<string>? classNames = null)
    {
        if (labelSeparator is ',' or '"' or '\r' or '\n')
        {
            throw new ArgumentException($"Parameter \"{nameof(labelSeparator)}\" must not be a comma, a quote or a line break, was '{labelSeparator}'.", nameof(labelSeparator));
        }

        if (classNames is not null && (classNames.Any(string.IsNullOrWhiteSpace) || classNames.Distinct(StringComparer.Ordinal).Count() != classNames.Count))
        {
            throw new ArgumentException($"Parameter \"{nameof(classNames)}\" must hold distinct, non-empty names, was [{string.Join(", ", classNames)}].", nameof(classNames));
        }

        _imageRoot = imageRoot is null ? null : Path.GetFullPath(imageRoot);
        LabelSeparator = labelSeparator;
        _classNames = classNames is null ? null : [.. classNames];
    }

    /// <summary>What separates the labels of a row.</summary>
    public char LabelSeparator { get; }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A row is malformed (the message names the file and each line), or several roots were posted.</exception>
    /// <exception cref="FileNotFoundException">The file, or an image it names, does not exist.</exception>
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count != 1)
        {
            throw new InvalidDataException($"A multi-label CSV source reads one CSV file; {roots.Count} roots were posted: '{string.Join("', '", roots)}'.");
        }

        string file = Path.GetFullPath(roots[0]);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"The multi-label CSV file '{file}' does not exist.", file);
        }

        string imageRoot = _imageRoot ?? Path.GetDirectoryName(file)!;
        var problems = new DatasetProblems($"Multi-label CSV file '{file}'");
        var rows = new List<(string Path, string[] Labels, int Line)>();
        var paths = new Dictionary<string, int>(StringComparer.Ordinal);
        int line = 0;
        bool first = true;
        foreach (string text in File.ReadLines(file))
        {
            cancellationToken.ThrowIfCancellationRequested();
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            List<string>? fields = Fields(text);
            if (fields is null)
            {
                problems.Add($"line {line}: a quoted field is not closed");
                continue;
            }

            bool header = first && HeaderNames.Contains(fields[0].Trim(), StringComparer.OrdinalIgnoreCase);
            first = false;
            if (header)
            {
                continue;
            }

            if (fields.Count != 2 || fields[0].Trim().Length == 0)
            {
                problems.Add(fields.Count != 2 ? $"line {line}: {fields.Count} fields; a row is path,labels" : $"line {line}: the path is empty");
                continue;
            }

            string path = Path.GetFullPath(Path.Combine(imageRoot, fields[0].Trim()));
            if (!paths.TryAdd(path, line))
            {
                problems.Add($"line {line}: '{fields[0].Trim()}' is the image of line {paths[path]} too");
                continue;
            }

            string[] labels = [.. fields[1].Split(LabelSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];
            if (!File.Exists(path))
            {
                problems.Missing(path, $"line {line}");
            }

            rows.Add((path, labels, line));
        }

        IReadOnlyList<string> classes = _classNames ?? [.. rows.SelectMany(r => r.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Count; c++)
        {
            index[classes[c]] = c;
        }

        foreach ((_, string[] labels, int at) in rows)
        {
            foreach (string label in labels.Where(l => !index.ContainsKey(l)))
            {
                problems.Add($"line {at}: label '{label}' is not one of the {classes.Count} classes given");
            }
        }

        problems.ThrowIfAny();
        var samples = new SampleInfo[rows.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            int[] own = [.. rows[i].Labels.Select(l => index[l]).Order()];
            samples[i] = new SampleInfo(i, rows[i].Path, own.Length > 0 ? own[0] : classes.Count) { Targets = new SampleTargets { Labels = own } };
        }

        return Task.FromResult(new SampleSet([.. classes, NoLabelClass], samples) { TargetSchema = new TargetSchema(TargetKinds.MultiLabel, classes) });
    }

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.ReadOnCallingThread(info, buffers));

    private PooledBuffer ReadOnCallingThread(SampleInfo sample, BufferPool pool) => _reader.Read(sample.Id, pool);

    /// <summary>The fields of one CSV line as RFC 4180 quotes them; null when a quote is not closed.</summary>
    internal static List<string>? Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return quoted ? null : fields;
    }
}
