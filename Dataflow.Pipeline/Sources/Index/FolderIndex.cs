using System.Collections;
using System.Text;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The index of a class-folder tree (<see cref="FileName"/> in its root): the class names and every image file's
/// path (relative to the root, sorted as discovery sorts them), class and size. A run given it
/// (<see cref="IndexedFolderSampleSource"/>) starts without listing the tree.
/// </summary>
/// <remarks>
/// An index is held compactly (each file's name as UTF-8 in shared buffers, its size, and one entry per folder of
/// consecutive files: about 20 bytes per file), and read and written as a stream of JSON tokens, so a million-file
/// index loads in a fraction of a second without an object per file. <see cref="Files"/> makes each entry when it is
/// asked for. Version 2 of the format (written) groups the files by folder; version 1 (one object per file) is still read.
/// </remarks>
public sealed class FolderIndex
{
    /// <summary>The index's file name in the dataset root (hidden, so folder discovery passes over it).</summary>
    public const string FileName = ".dataflow-index.json";

    /// <summary>The format name written in <see cref="Format"/>.</summary>
    public const string FormatName = "dataflow-pipeline/folders";

    /// <summary>The format version this library writes; it reads this one and every earlier one.</summary>
    public const int CurrentVersion = 2;

    private readonly IReadOnlyList<FolderIndexEntry>? _files;
    private FolderIndexTable? _table;

    /// <summary>Creates an empty index; set <see cref="Classes"/> and <see cref="Files"/>.</summary>
    public FolderIndex()
    {
    }

    private FolderIndex(IReadOnlyList<string> classes, int version, FolderIndexTable table)
    {
        Classes = classes;
        Version = version;
        _table = table;
    }

    /// <summary>The format name; <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>Every image file, in discovery order.</summary>
    public IReadOnlyList<FolderIndexEntry> Files
    {
        get => _files ?? new Entries(Table);
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _files = value;
            _table = null;
        }
    }

    /// <summary>The files in their compact form.</summary>
    internal FolderIndexTable Table => _table ??= FromEntries(_files ?? []);

    /// <summary>Lists the class folders under <paramref name="root"/> (as <see cref="FolderSampleSource"/> does) and indexes them.</summary>
    public static FolderIndex Create(string root, FolderSampleSource? source = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        string full = Path.GetFullPath(root);
        SampleSet set = (source ?? new FolderSampleSource()).Discover([full], cancellationToken);
        var table = new FolderIndexTable();
        foreach (SampleInfo sample in set.Samples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string relative = Path.GetRelativePath(full, sample.Id).Replace(Path.DirectorySeparatorChar, '/');
            int slash = relative.LastIndexOf('/');
            table.AddFile(slash < 0 ? "" : relative[..slash], sample.Label, Encoding.UTF8.GetBytes(relative[(slash + 1)..]), new FileInfo(sample.Id).Length);
        }

        return new FolderIndex(set.ClassNames, CurrentVersion, table.Seal());
    }

    /// <summary>Writes the index as JSON (format version <see cref="CurrentVersion"/>).</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        FolderIndexJson.Write(stream, Classes, Table);
    }

    /// <summary>Reads an index; <paramref name="where"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The file is not a folder index of a version this library reads, or an entry in it is not valid.</exception>
    public static FolderIndex Load(Stream stream, string where)
    {
        ArgumentNullException.ThrowIfNull(stream);
        (IReadOnlyList<string> classes, int version, FolderIndexTable table) = FolderIndexJson.Read(stream, where);
        return new FolderIndex(classes, version, table);
    }

    private static FolderIndexTable FromEntries(IReadOnlyList<FolderIndexEntry> files)
    {
        var table = new FolderIndexTable();
        foreach (FolderIndexEntry file in files)
        {
            string path = file.Path;
            int slash = path.LastIndexOf('/');
            table.AddFile(slash < 0 ? "" : path[..slash], file.Label, Encoding.UTF8.GetBytes(path[(slash + 1)..]), file.Size);
        }

        return table.Seal();
    }

    /// <summary>The entries of a compact table, each made when asked for.</summary>
    private sealed class Entries(FolderIndexTable table) : IReadOnlyList<FolderIndexEntry>
    {
        public FolderIndexEntry this[int index] => new(table.RelativePath(index), table.RunOf(index).Label, table.Size(index));

        public int Count => table.Count;

        public IEnumerator<FolderIndexEntry> GetEnumerator()
        {
            for (int i = 0; i < table.Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
