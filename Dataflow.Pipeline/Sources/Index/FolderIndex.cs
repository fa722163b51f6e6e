using System.Text.Json;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The index of a class-folder tree (<see cref="FileName"/> in its root): the class names and every image file's
/// path (relative to the root, sorted as discovery sorts them), class and size. A run given it
/// (<see cref="IndexedFolderSampleSource"/>) starts without listing the tree.
/// </summary>
public sealed class FolderIndex
{
    /// <summary>The index's file name in the dataset root (hidden, so folder discovery passes over it).</summary>
    public const string FileName = ".dataflow-index.json";

    /// <summary>The format name written in <see cref="Format"/>.</summary>
    public const string FormatName = "dataflow-pipeline/folders";

    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The format name; <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>Every image file, in discovery order.</summary>
    public IReadOnlyList<FolderIndexEntry> Files { get; init; } = [];

    /// <summary>Lists the class folders under <paramref name="root"/> (as <see cref="FolderSampleSource"/> does) and indexes them.</summary>
    public static FolderIndex Create(string root, FolderSampleSource? source = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        string full = Path.GetFullPath(root);
        SampleSet set = (source ?? new FolderSampleSource()).Discover([full], cancellationToken);
        var files = new FolderIndexEntry[set.Samples.Count];
        foreach (SampleInfo sample in set.Samples)
        {
            files[sample.Index] = new FolderIndexEntry(Path.GetRelativePath(full, sample.Id).Replace(Path.DirectorySeparatorChar, '/'), sample.Label, new FileInfo(sample.Id).Length);
        }

        return new FolderIndex { Classes = [.. set.ClassNames], Files = files };
    }

    /// <summary>Writes the index as JSON.</summary>
    public void Save(Stream stream) => JsonSerializer.Serialize(stream, this, Compact);

    /// <summary>Reads an index; <paramref name="where"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The file is not a folder index of a version this library reads.</exception>
    public static FolderIndex Load(Stream stream, string where)
    {
        FolderIndex? index;
        try
        {
            index = JsonSerializer.Deserialize<FolderIndex>(stream, Compact);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The folder index '{where}' is not valid JSON: {e.Message}", e);
        }

        if (index is null || index.Format != FormatName)
        {
            throw new InvalidDataException($"The file '{where}' is not a folder index (format \"{index?.Format}\", expected \"{FormatName}\").");
        }

        if (index.Version != CurrentVersion)
        {
            throw new InvalidDataException($"The folder index '{where}' has format version {index.Version}; this library reads version {CurrentVersion}.");
        }

        return index;
    }

    // One line per file would double the size of a million-file index: compact JSON.
    private static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
