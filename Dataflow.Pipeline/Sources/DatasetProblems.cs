using System.Globalization;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The problems a source finds in a dataset's annotation files at discovery, each naming its file and line or annotation,
/// thrown together so that one run shows them all (the first <see cref="Shown"/>, and how many more).
/// </summary>
/// <param name="what">What the message opens with: the format and the dataset ("YOLO dataset '/data/coco8/data.yaml'").</param>
internal sealed class DatasetProblems(string what)
{
    /// <summary>How many problems a message lists.</summary>
    internal const int Shown = 10;

    private readonly List<string> _kept = [];
    private readonly List<string> _missing = [];

    /// <summary>The number of problems added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a problem ("'a.txt' line 3: class 7 is not one of the 2 classes").</summary>
    public void Add(string problem)
    {
        Count++;
        if (_kept.Count < AnnotationProblems.MaxKept)
        {
            _kept.Add(problem);
        }
    }

    /// <summary>Adds an image file that does not exist (<paramref name="owner"/> names what refers to it).</summary>
    public void Missing(string path, string owner) => _missing.Add($"{owner}: '{path}'");

    /// <summary>
    /// Throws the problems found, if any: an <see cref="InvalidDataException"/> (the first <see cref="Shown"/> in its message,
    /// every problem kept: <see cref="AnnotationProblems.TryGet"/>), or a <see cref="FileNotFoundException"/> when only files are missing.
    /// </summary>
    public void ThrowIfAny()
    {
        if (Count > 0)
        {
            int shown = Math.Min(Shown, _kept.Count);
            string more = Count > shown ? $"; and {Count - shown} more" : string.Empty;
            string count = Count == 1 ? "1 problem" : string.Create(CultureInfo.InvariantCulture, $"{Count} problems");
            throw AnnotationProblems.Exception($"{what}: {count}: {string.Join("; ", _kept.Take(shown))}{more}.", [.. _kept], Count);
        }

        if (_missing.Count > 0)
        {
            string more = _missing.Count > Shown ? $"; and {_missing.Count - Shown} more" : string.Empty;
            string count = _missing.Count == 1 ? "1 image file does" : string.Create(CultureInfo.InvariantCulture, $"{_missing.Count} image files do");
            throw new FileNotFoundException($"{what}: {count} not exist: {string.Join("; ", _missing.Take(Shown))}{more}.");
        }
    }

    /// <summary>A number as the message shows it (invariant culture).</summary>
    public static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
