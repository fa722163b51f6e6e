using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// Discovers a dataset laid out as one sub-folder per class (<c>root/cat/1.jpg</c>, <c>root/dog/a/2.png</c>),
/// as Keras <c>image_dataset_from_directory</c> and torchvision <c>ImageFolder</c> do, and reads files.
/// </summary>
/// <remarks>
/// Class indices follow the class names sorted by Unicode code point (<see cref="CodePointComparer"/>),
/// or the order of an explicit class list. Files are found recursively inside each class folder and
/// sorted the same way; extensions match case-insensitively; hidden files and folders (a leading dot or
/// the hidden attribute) are passed over. Several roots are merged: a class is the union of its folders.
/// Files lying directly in a root, non-image files and folders that are not requested classes are
/// listed in <see cref="SampleSet.Ignored"/> with the reason.
/// </remarks>
public sealed class FolderSampleSource : ISampleSource
{
    /// <summary>The image extensions recognised by default.</summary>
    public static IReadOnlyList<string> DefaultExtensions { get; } =
        [".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm", ".pnm"];

    private readonly IReadOnlyList<string>? _classNames;
    private readonly HashSet<string> _extensions;

    /// <summary>Creates a source.</summary>
    /// <param name="classNames">An explicit class list (its order gives the labels), or null to take every sub-folder.</param>
    /// <param name="extensions">The file extensions that are images (with the dot); null for <see cref="DefaultExtensions"/>.</param>
    public FolderSampleSource(IReadOnlyList<string>? classNames = null, IEnumerable<string>? extensions = null)
    {
        if (classNames is not null)
        {
            if (classNames.Count == 0)
            {
                throw new ArgumentException("Parameter \"ClassNames\" must name at least one class, was empty.", "ClassNames");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in classNames)
            {
                if (string.IsNullOrEmpty(name) || name.IndexOfAny(['/', '\\']) >= 0 || !seen.Add(name))
                {
                    throw new ArgumentException($"Parameter \"ClassNames\" must hold distinct folder names, was \"{name}\".", "ClassNames");
                }
            }
        }

        _classNames = classNames;
        _extensions = new HashSet<string>(extensions ?? DefaultExtensions, StringComparer.OrdinalIgnoreCase);
        if (_extensions.Count == 0)
        {
            throw new ArgumentException("Parameter \"Extensions\" must hold at least one extension, was empty.", "Extensions");
        }
    }

    /// <inheritdoc />
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        return Task.Run(() => Discover(roots, cancellationToken), cancellationToken);
    }

    /// <summary>Discovers synchronously; see <see cref="DiscoverAsync"/>.</summary>
    public SampleSet Discover(IReadOnlyList<string> roots, CancellationToken cancellationToken = default)
    {
        if (roots.Count == 0)
        {
            throw new InvalidOperationException("No root folder was posted to the pipeline before it was completed.");
        }

        var ignored = new List<IgnoredEntry>();
        var classFolders = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string root in roots)
        {
            string full = Path.GetFullPath(root);
            if (!Directory.Exists(full))
            {
                if (File.Exists(full))
                {
                    throw new DirectoryNotFoundException($"The dataset root '{full}' is a file, not a folder of class folders.");
                }

                throw new DirectoryNotFoundException($"The dataset root '{full}' does not exist.");
            }

            foreach (string file in Directory.EnumerateFiles(full, "*", TopLevel))
            {
                ignored.Add(new IgnoredEntry(file, "file directly in the root, not inside a class folder"));
            }

            var found = Directory.EnumerateDirectories(full, "*", TopLevel).ToList();
            if (found.Count == 0)
            {
                throw new InvalidDataException($"The dataset root '{full}' has no class folders (expected one sub-folder per class).");
            }

            foreach (string dir in found)
            {
                string name = Path.GetFileName(dir);
                if (_classNames is not null && !_classNames.Contains(name, StringComparer.Ordinal))
                {
                    ignored.Add(new IgnoredEntry(dir, "folder is not one of the requested class names"));
                    continue;
                }

                if (!classFolders.TryGetValue(name, out var dirs))
                {
                    classFolders[name] = dirs = [];
                }

                dirs.Add(dir);
            }
        }

        List<string> classNames;
        if (_classNames is not null)
        {
            foreach (string name in _classNames)
            {
                if (!classFolders.ContainsKey(name))
                {
                    string where = string.Join("', '", roots.Select(r => Path.Combine(Path.GetFullPath(r), name)));
                    throw new DirectoryNotFoundException($"The requested class folder '{where}' does not exist.");
                }
            }

            classNames = [.. _classNames];
        }
        else
        {
            classNames = [.. classFolders.Keys.Order(CodePointComparer.Instance)];
        }

        var samples = new List<SampleInfo>();
        for (int label = 0; label < classNames.Count; label++)
        {
            var files = new List<string>();
            foreach (string dir in classFolders[classNames[label]])
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (string file in FilesUnder(dir, ignored, cancellationToken))
                {
                    if (_extensions.Contains(Path.GetExtension(file)))
                    {
                        files.Add(file);
                    }
                    else
                    {
                        ignored.Add(new IgnoredEntry(file, "not an image file extension"));
                    }
                }
            }

            if (files.Count == 0)
            {
                string where = string.Join("', '", classFolders[classNames[label]]);
                throw new InvalidDataException($"The class folder '{where}' holds no image files ({string.Join(", ", _extensions.Order(StringComparer.Ordinal))}).");
            }

            files.Sort(CodePointComparer.Instance);
            foreach (string file in files)
            {
                samples.Add(new SampleInfo(samples.Count, file, label));
            }
        }

        ignored.Sort((a, b) => CodePointComparer.Instance.Compare(a.Path, b.Path));
        return new SampleSet(classNames, samples, ignored);
    }

    /// <summary>Reads files, refusing those above the pipeline's MaxFileBytes (the builder sets it from the options).</summary>
    internal FileReader Reader { get; init; } = new();

    /// <inheritdoc />
    /// <remarks>
    /// The file is read synchronously by the calling worker (the read block's), and the returned task is already
    /// complete: on Linux .NET runs an "asynchronous" file read as a synchronous read on another thread-pool
    /// thread anyway, so this saves one thread hop per image, which is most of the read cost of small files
    /// (docs/performance.md). The read block's parallelism still overlaps reads with decoding.
    /// A file above <see cref="PipelineOptions.MaxFileBytes"/> is refused unread, and a file over 64 KiB whose first
    /// bytes are no image, or declare more than <see cref="PipelineOptions.MaxImagePixels"/>, is refused before the
    /// rest is read (an <see cref="IOException"/> naming the file). The pipeline's own folder source takes both limits
    /// from its options; one constructed by hand and passed to <c>UseSource</c> uses their defaults.
    /// </remarks>
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PooledBuffer>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Reader.Read(sample.Id, pool));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<PooledBuffer>(e);
        }
    }

    private static readonly EnumerationOptions TopLevel = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = true,
    };

    // Inside class folders a folder that cannot be listed throws (and is reported) rather than looking empty.
    private static readonly EnumerationOptions Listing = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = false,
    };

    /// <summary>
    /// Every file under a class folder, walking its sub-folders (and symbolic links to folders) once each: a
    /// folder reached again, through a link that loops back or a second link to it, is listed in
    /// <paramref name="ignored"/> and not walked again, so discovery ends and lists each file once.
    /// </summary>
    private static IEnumerable<string> FilesUnder(string classFolder, List<IgnoredEntry> ignored, CancellationToken cancellationToken)
    {
        string real = RealPath(classFolder);
        var walked = new HashSet<string>(StringComparer.Ordinal) { real };
        var pending = new Stack<(string Path, string Real)>();
        pending.Push((classFolder, real));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (string dir, string dirReal) = pending.Pop();
            List<FileSystemInfo> entries;
            try
            {
                entries = [.. new DirectoryInfo(dir).EnumerateFileSystemInfos("*", Listing)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ignored.Add(new IgnoredEntry(dir, $"folder cannot be listed: {e.Message}"));
                continue;
            }

            foreach (FileSystemInfo entry in entries)
            {
                if (entry is not DirectoryInfo sub)
                {
                    yield return entry.FullName;
                    continue;
                }

                string subReal = sub.LinkTarget is null ? Path.Combine(dirReal, sub.Name) : RealPath(sub.FullName);
                if (walked.Add(subReal))
                {
                    pending.Push((sub.FullName, subReal));
                }
                else
                {
                    ignored.Add(new IgnoredEntry(sub.FullName, $"folder '{subReal}' is already part of this class (a symbolic link loop or a second link to it): not walked again"));
                }
            }
        }
    }

    /// <summary>The path with every symbolic link in it resolved, like realpath(3).</summary>
    /// <exception cref="IOException">The links loop (more than 40 hops, the Linux limit).</exception>
    internal static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Parts(full[current.Length..]).Reverse());
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            string next = Path.Combine(current, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > 40)
            {
                throw new IOException($"Too many levels of symbolic links resolving '{path}'.");
            }

            // The link's target replaces it: an absolute target restarts from the root.
            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target)!;
                target = target[current.Length..];
            }

            foreach (string p in Parts(target).Reverse())
            {
                pending.Push(p);
            }
        }

        return current;

        static string[] Parts(string relative) => relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
    }
}
