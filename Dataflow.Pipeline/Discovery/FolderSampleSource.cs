using System.IO.Enumeration;
using Dataflow.Pipeline.Internal;
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
/// <para>
/// Each real folder and file is discovered once, whatever paths reach it: a root posted twice or under another
/// spelling (<c>root/</c>, <c>a/../root</c>, a symbolic link to it), a class folder or sub-folder reached again
/// through a link, or a file linked from elsewhere in the dataset (by a symbolic link, or on Linux by a hard link: files are
/// then told apart by device and inode). The first path in discovery order (roots as
/// posted, classes by label, paths in order) is kept; every other one is listed in <see cref="SampleSet.Ignored"/>
/// naming the path kept and the real path. A folder that is the only folder of two classes is refused.
/// </para>
/// <para>
/// A root or class folder that cannot be listed (permission denied) throws an <see cref="UnauthorizedAccessException"/>
/// naming it; a sub-folder that cannot be listed is listed in <see cref="SampleSet.Ignored"/>, and named as the cause
/// when its class ends up with no files.
/// </para>
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
    /// <exception cref="DirectoryNotFoundException">A root (or a requested class) does not exist, or is a file.</exception>
    /// <exception cref="InvalidDataException">A root holds no classes, a class holds no image files, or two classes are one folder.</exception>
    /// <exception cref="UnauthorizedAccessException">A root or a class folder cannot be listed (permission denied); the message names it.</exception>
    public SampleSet Discover(IReadOnlyList<string> roots, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException("No root folder was posted to the pipeline before it was completed.");
        }

        var ignored = new List<IgnoredEntry>();
        // Every folder discovery has taken (roots and class folders), by real path: the path it was taken through.
        // A folder reached again, by the same root posted twice or through a symbolic link, is listed once.
        var taken = new Dictionary<string, string>(StringComparer.Ordinal);
        var classFolders = new Dictionary<string, List<Folder>>(StringComparer.Ordinal);
        var shared = new Dictionary<string, SharedFolder>(StringComparer.Ordinal);
        foreach (string root in roots)
        {
            string full = Path.GetFullPath(root);
            RequireFolder(full);
            string real = RealPath(full);
            if (taken.TryGetValue(real, out string? first))
            {
                ignored.Add(new IgnoredEntry(full, AlreadyDiscovered("root is the same folder as", first, real)));
                continue;
            }

            taken[real] = full;
            var found = new List<string>();
            foreach (Entry entry in List(full, real, "dataset root"))
            {
                if (entry.IsDirectory)
                {
                    found.Add(entry.FullName);
                }
                else
                {
                    ignored.Add(new IgnoredEntry(entry.FullName, "file directly in the root, not inside a class folder"));
                }
            }

            if (found.Count == 0)
            {
                throw new InvalidDataException($"The dataset root '{full}' has no class folders (expected one sub-folder per class).");
            }

            found.Sort(CodePointComparer.Instance);
            foreach (string dir in found)
            {
                string name = Path.GetFileName(dir);
                if (_classNames is not null && !_classNames.Contains(name, StringComparer.Ordinal))
                {
                    ignored.Add(new IgnoredEntry(dir, "folder is not one of the requested class names"));
                    continue;
                }

                string dirReal = RealPath(dir);
                if (taken.TryGetValue(dirReal, out string? owner))
                {
                    ignored.Add(new IgnoredEntry(dir, AlreadyDiscovered("folder is the same folder as", owner, dirReal)));
                    shared.TryAdd(name, new SharedFolder(dir, owner, dirReal));
                    continue;
                }

                taken[dirReal] = dir;
                if (!classFolders.TryGetValue(name, out var dirs))
                {
                    classFolders[name] = dirs = [];
                }

                dirs.Add(new Folder(dir, dirReal));
            }
        }

        foreach (KeyValuePair<string, SharedFolder> pair in shared)
        {
            if (!classFolders.ContainsKey(pair.Key))
            {
                // Its only folder is another class's (or a root): which label its files would get is not for us to guess.
                SharedFolder folder = pair.Value;
                throw new InvalidDataException($"The class folder '{folder.Path}' is the same folder as '{folder.Owner}' (real path '{folder.Real}'): one folder cannot be two classes.");
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
            classNames = [.. classFolders.Keys];
            classNames.Sort(CodePointComparer.Instance);
        }

        var files = new List<Entry>[classNames.Count];
        for (int label = 0; label < classNames.Count; label++)
        {
            files[label] = [];
            var unlisted = new List<IgnoredEntry>();
            foreach (Folder folder in classFolders[classNames[label]])
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (Entry file in FilesUnder(folder, taken, ignored, unlisted, cancellationToken))
                {
                    if (_extensions.Contains(Path.GetExtension(file.FullName)))
                    {
                        files[label].Add(file);
                    }
                    else
                    {
                        ignored.Add(new IgnoredEntry(file.FullName, "not an image file extension"));
                    }
                }
            }

            if (files[label].Count == 0)
            {
                string where = string.Join("', '", classFolders[classNames[label]].Select(d => d.Path));
                if (unlisted.Count > 0)
                {
                    // Nothing found because something could not be listed: that is the cause to name.
                    throw new UnauthorizedAccessException(
                        $"The class folder '{where}' holds no image files that can be listed: {string.Join("; ", unlisted.Select(u => $"'{u.Path}' {u.Reason}"))}.");
                }

                throw new InvalidDataException($"The class folder '{where}' holds no image files ({string.Join(", ", _extensions.Order(StringComparer.Ordinal))}).");
            }

            files[label].Sort(EntryOrder.Instance);
        }

        List<SampleInfo> samples = DistinctSamples(files, ignored);
        Checked = new CheckedFiles(samples);
        ignored.Sort((a, b) => CodePointComparer.Instance.Compare(a.Path, b.Path));
        return new SampleSet(classNames, samples, ignored);
    }

    /// <summary>The samples of the last discovery that were read before as regular, non-empty files.</summary>
    internal CheckedFiles? Checked { get; private set; }

    /// <summary>Reads files, refusing those above the pipeline's MaxFileBytes (the builder sets it from the options).</summary>
    internal FileReader Reader { get; init; } = new();

    /// <inheritdoc />
    public bool ReadsOnCallingThread => true;

    /// <inheritdoc />
    /// <remarks>
    /// The file is read synchronously by the calling worker (the read block's), and the returned task is already
    /// complete: on Linux .NET runs an "asynchronous" file read as a synchronous read on another thread-pool
    /// thread anyway, so this saves one thread hop per image, which is most of the read cost of small files
    /// (docs/dev/performance-log.md). The read block's parallelism still overlaps reads with decoding.
    /// A file above <see cref="PipelineOptions.MaxFileBytes"/> is refused unread, and a file over 64 KiB whose first
    /// bytes are no image, or declare more than <see cref="PipelineOptions.MaxImagePixels"/>, is refused before the
    /// rest is read (an <see cref="IOException"/> naming the file). The pipeline's own folder source takes both limits
    /// from its options; one constructed by hand and passed to <c>UseSource</c> uses their defaults.
    /// </remarks>
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        SynchronousReads.ReadAsync(this, sample, pool, cancellationToken, static (source, info, buffers) => source.ReadFile(info, buffers));

    /// <summary>
    /// Reads a sample's file. The check that keeps a FIFO or device from being opened (a status call, the largest part of
    /// a small image's read: docs/dev/performance-log.md) is made on a sample's first read in the run only; once its file was
    /// read with data, later epochs open it at once.
    /// </summary>
    private PooledBuffer ReadFile(SampleInfo sample, BufferPool pool)
    {
        CheckedFiles? known = Checked;
        bool regular = known is not null && known.Contains(sample);
        PooledBuffer buffer = Reader.Read(sample.Id, pool, regular);
        if (!regular && buffer.Length > 0)
        {
            known?.Add(sample);
        }

        return buffer;
    }

    // A folder that cannot be listed throws (and is reported), rather than looking empty.
    private static readonly EnumerationOptions Listing = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = false,
    };

    // The same listing without symbolic links (a link is a reparse point).
    private static readonly EnumerationOptions ListingWithoutLinks = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint,
        IgnoreInaccessible = false,
    };

    /// <summary>Checks that a root is a folder, naming the real cause when it is not one (absent, a file, out of reach).</summary>
    private static void RequireFolder(string full)
    {
        if (Directory.Exists(full))
        {
            return;
        }

        if (File.Exists(full))
        {
            throw new DirectoryNotFoundException($"The dataset root '{full}' is a file, not a folder of class folders.");
        }

        try
        {
            // Exists says false for a folder that is there but out of reach: listing it tells which.
            using IEnumerator<string> probe = Directory.EnumerateFileSystemEntries(full).GetEnumerator();
            probe.MoveNext();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"The dataset root '{full}' cannot be reached: permission denied.", e);
        }
        catch (IOException)
        {
        }

        throw new DirectoryNotFoundException($"The dataset root '{full}' does not exist.");
    }

    /// <summary>The entries of a folder; one that cannot be listed throws naming it.</summary>
    /// <remarks>
    /// Each entry's kind comes from the directory listing itself (its type field), not from a status call per file:
    /// <see cref="FileSystemInfo.Attributes"/> costs an <c>lstat</c> per entry, more than the listing. The links are
    /// the entries that a second listing, told to skip links (which it also reads from the type field), leaves out;
    /// a folder without links, the usual case, is known as such by that listing's count alone (no name is kept).
    /// <para>
    /// Entries are objects, not structs, and every collection of them is a collection of references: the runtime's
    /// precompiled code for those (shared by every reference type) runs them, where a struct would make each generic
    /// method be compiled at start-up, before the first batch (docs/dev/performance-log.md, "Third pass").
    /// </para>
    /// </remarks>
    private static List<Entry> List(string folder, string folderReal, string what)
    {
        try
        {
            var all = new List<Entry>();
            foreach (Entry entry in new FileSystemEnumerable<Entry>(folder, static (ref FileSystemEntry e) => new Entry(e.ToFullPath(), e.IsDirectory), Listing))
            {
                entry.FolderReal = folderReal;
                all.Add(entry);
            }

            int withoutLinks = 0;
            foreach (Entry _ in new FileSystemEnumerable<Entry>(folder, static (ref FileSystemEntry _) => Entry.Counted, ListingWithoutLinks))
            {
                withoutLinks++;
            }

            if (withoutLinks != all.Count)
            {
                // Links here (rare): name the entries that are not, and mark the rest.
                var notLinks = new HashSet<string>(new FileSystemEnumerable<string>(folder, static (ref FileSystemEntry e) => e.ToFullPath(), ListingWithoutLinks), StringComparer.Ordinal);
                foreach (Entry entry in all)
                {
                    entry.IsLink = !notLinks.Contains(entry.FullName);
                }
            }

            return all;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"The {what} '{folder}' cannot be listed: permission denied.", e);
        }
        catch (IOException e)
        {
            throw new IOException($"The {what} '{folder}' cannot be listed: {e.Message}", e);
        }
    }

    /// <summary>
    /// A folder's entry: a folder (or a link to one) or anything else, whether the entry itself is a symbolic link, and
    /// the real path of the folder listed (a file's real path, when it is no link, is that folder's and its name).
    /// </summary>
    private sealed class Entry(string fullName, bool isDirectory)
    {
        /// <summary>What a listing that only counts its entries returns for each.</summary>
        public static readonly Entry Counted = new(string.Empty, false);

        public string FullName { get; } = fullName;

        public bool IsDirectory { get; } = isDirectory;

        public bool IsLink { get; set; }

        public string FolderReal { get; set; } = string.Empty;

        public string Name => Path.GetFileName(FullName);
    }

    /// <summary>Entries by full path, by Unicode code point.</summary>
    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry? x, Entry? y) => CodePointComparer.Instance.Compare(x?.FullName, y?.FullName);
    }

    /// <summary>Folder entries by name, by Unicode code point.</summary>
    private sealed class NameOrder : IComparer<Entry>
    {
        public static readonly NameOrder Instance = new();

        public int Compare(Entry? x, Entry? y) => CodePointComparer.Instance.Compare(x?.Name, y?.Name);
    }

    /// <summary>A folder to walk: the path it was reached by, and its real path.</summary>
    private sealed record Folder(string Path, string Real);

    /// <summary>A class folder that is another class's folder (or a root): the path, the path that took it, and the real path.</summary>
    private sealed record SharedFolder(string Path, string Owner, string Real);

    private static string AlreadyDiscovered(string relation, string first, string real) =>
        $"{relation} '{first}' (real path '{real}'), already discovered: not walked again";

    /// <summary>
    /// Every file under a class folder, walking its sub-folders (and symbolic links to folders) once each, in name
    /// order: a folder reached again (a link that loops back, a second link to it, a link to a root or to another
    /// class) is listed in <paramref name="ignored"/> and not walked again, so discovery ends and lists each folder
    /// once. A sub-folder that cannot be listed goes to <paramref name="ignored"/> and <paramref name="unlisted"/>;
    /// the class folder itself throws.
    /// </summary>
    private static IEnumerable<Entry> FilesUnder(Folder classFolder, Dictionary<string, string> taken,
        List<IgnoredEntry> ignored, List<IgnoredEntry> unlisted, CancellationToken cancellationToken)
    {
        var pending = new Stack<Folder>();
        pending.Push(classFolder);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Folder folder = pending.Pop();
            string dir = folder.Path, dirReal = folder.Real;
            List<Entry> entries;
            if (ReferenceEquals(folder, classFolder))
            {
                entries = List(dir, dirReal, "class folder");
            }
            else
            {
                try
                {
                    entries = List(dir, dirReal, "folder");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    var entry = new IgnoredEntry(dir, e is UnauthorizedAccessException ? "cannot be listed: permission denied" : $"cannot be listed: {e.InnerException?.Message}");
                    ignored.Add(entry);
                    unlisted.Add(entry);
                    continue;
                }
            }

            // Taken in name order and walked in name order (pushed in reverse): which path of a folder reached twice
            // is kept does not depend on the order the file system lists entries in.
            var folders = new List<Entry>();
            foreach (Entry entry in entries)
            {
                if (entry.IsDirectory)
                {
                    folders.Add(entry);
                }
            }

            folders.Sort(NameOrder.Instance);
            var subs = new List<Folder>();
            foreach (Entry sub in folders)
            {
                string subReal = sub.IsLink ? RealPath(sub.FullName) : Path.Combine(dirReal, sub.Name);
                if (taken.TryAdd(subReal, sub.FullName))
                {
                    subs.Add(new Folder(sub.FullName, subReal));
                }
                else
                {
                    ignored.Add(new IgnoredEntry(sub.FullName, AlreadyDiscovered("folder is the same folder as", taken[subReal], subReal)));
                }
            }

            for (int i = subs.Count - 1; i >= 0; i--)
            {
                pending.Push(subs[i]);
            }

            foreach (Entry entry in entries)
            {
                if (!entry.IsDirectory)
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>
    /// The samples, in order (by label, then path), each real file once: a file reached again through a symbolic
    /// link (or a link reaching a file already discovered), or a hard link to a file already discovered, is listed in
    /// <paramref name="ignored"/> and the first kept.
    /// </summary>
    /// <remarks>
    /// Folders are walked once each, so two paths in them can only be one file when one of them is a symbolic link
    /// (without links no path is resolved) or the file has several hard links: a file whose link count (from one
    /// <c>statx</c> per file, on Linux) is above one is known by its device and inode.
    /// </remarks>
    private static List<SampleInfo> DistinctSamples(List<Entry>[] byLabel, List<IgnoredEntry> ignored)
    {
        bool anyLink = false;
        int total = 0;
        foreach (List<Entry> files in byLabel)
        {
            total += files.Count;
            foreach (Entry file in files)
            {
                anyLink |= file.IsLink;
            }
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var inodes = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<SampleInfo>(total);
        for (int label = 0; label < byLabel.Length; label++)
        {
            foreach (Entry file in byLabel[label])
            {
                if (anyLink)
                {
                    string real = RealFile(file);
                    if (!seen.TryAdd(real, file.FullName))
                    {
                        ignored.Add(new IgnoredEntry(file.FullName, $"file is the same file as '{seen[real]}' (real path '{real}'), already discovered: listed once"));
                        continue;
                    }
                }

                // Hard links are one file under several names, with no link to resolve: only the device and inode tell.
                if (FileIdentity.Of(file.FullName) is { Links: > 1 } identity)
                {
                    string id = identity.Describe();
                    if (!inodes.TryAdd(id, file.FullName))
                    {
                        ignored.Add(new IgnoredEntry(file.FullName, $"file is the same file as '{inodes[id]}' (a hard link to it: {id}), already discovered: listed once"));
                        continue;
                    }
                }

                samples.Add(new SampleInfo(samples.Count, file.FullName, label));
            }
        }

        return samples;
    }

    private static string RealFile(Entry file)
    {
        if (!file.IsLink)
        {
            return Path.Combine(file.FolderReal, file.Name);
        }

        try
        {
            return RealPath(file.FullName);
        }
        catch (IOException)
        {
            // A link loop is no file at all: it stays, and reading it reports the loop.
            return file.FullName;
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
