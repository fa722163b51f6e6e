using Dataflow.Pipeline.Memory;

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
                foreach (string file in Directory.EnumerateFiles(dir, "*", Recursive))
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

    /// <inheritdoc />
    public async ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(pool);
        using var handle = File.OpenHandle(sample.Id, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength)
        {
            throw new IOException($"The file '{sample.Id}' is {length} bytes, more than one buffer can hold.");
        }

        PooledBuffer buffer = pool.Rent((int)length);
        try
        {
            int total = 0;
            while (true)
            {
                if (total == buffer.Array.Length)
                {
                    // The file grew since its length was read: move to a larger buffer.
                    PooledBuffer larger = pool.Rent(total * 2);
                    buffer.Array.AsSpan(0, total).CopyTo(larger.Array);
                    buffer.Dispose();
                    buffer = larger;
                }

                int read = await RandomAccess.ReadAsync(handle, buffer.Array.AsMemory(total), total, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            buffer.Length = total;
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static readonly EnumerationOptions TopLevel = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = true,
    };

    private static readonly EnumerationOptions Recursive = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = true,
    };
}
