using System.Globalization;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A root posted to a <see cref="ShardSampleSource"/> split into the location that holds the shards and, where the
/// root names shards rather than a folder, the shard names it selects: one shard file (<c>/data/shard-000003.tar</c>),
/// or a brace pattern in the last component, as WebDataset writes them (<c>shard-{000000..000009}.tar</c>, numeric
/// ranges keep the width of their zero-padded bounds; <c>{a,b}</c> lists; several groups combine).
/// </summary>
internal sealed record ShardSelection(string Location, IReadOnlyList<string>? Names, string Root)
{
    /// <summary>The most shard names one pattern may expand to.</summary>
    public const int MaxNames = 1_000_000;

    /// <summary>Splits <paramref name="root"/>; a root that names a folder (or a location prefix) selects every shard in it.</summary>
    /// <param name="root">The root posted.</param>
    /// <param name="isFile">Which file names the source reads (Parquet, TFRecord files); shards when null.</param>
    /// <exception cref="ArgumentException">The brace pattern is malformed or expands to more than <see cref="MaxNames"/> names; the message names the root.</exception>
    public static ShardSelection Parse(string root, Func<string, bool>? isFile = null)
    {
        isFile ??= ShardFiles.IsShard;
        bool remote = StorageLocation.IsRemote(root);
        if (!remote && Directory.Exists(root))
        {
            return new ShardSelection(root, null, root);
        }

        // The query of an https location (a SAS token) stays with the location.
        int query = remote ? root.IndexOf('?', StringComparison.Ordinal) : -1;
        string path = query < 0 ? root : root[..query];
        string tail = query < 0 ? "" : root[query..];
        int slash = path.TrimEnd('/').LastIndexOf('/');
        if (!remote && Path.DirectorySeparatorChar != '/')
        {
            slash = Math.Max(slash, path.LastIndexOf(Path.DirectorySeparatorChar));
        }

        string name = path[(slash + 1)..];
        bool pattern = name.Contains('{', StringComparison.Ordinal);
        if (!pattern && !(isFile(name) && (remote || File.Exists(root))))
        {
            return new ShardSelection(root, null, root);
        }

        string location = slash < 0 ? "." : path[..slash];
        return new ShardSelection(location + tail, pattern ? Expand(name, root) : [name], root);
    }

    /// <summary>Expands the brace groups of <paramref name="name"/>, left to right.</summary>
    private static List<string> Expand(string name, string root)
    {
        int open = name.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
        {
            return name.Contains('}', StringComparison.Ordinal) ? throw Malformed(root, "a '}' without its '{'") : [name];
        }

        int close = name.IndexOf('}', open);
        if (close < 0)
        {
            throw Malformed(root, "a '{' without its '}'");
        }

        string body = name[(open + 1)..close];
        if (body.Contains('{', StringComparison.Ordinal))
        {
            throw Malformed(root, "nested braces");
        }

        List<string> choices = Choices(body, root);
        List<string> rest = Expand(name[(close + 1)..], root);
        if ((long)choices.Count * rest.Count > MaxNames)
        {
            throw new ArgumentException($"The shard pattern \"{root}\" expands to {(long)choices.Count * rest.Count} names, more than {MaxNames}.", nameof(root));
        }

        string head = name[..open];
        var names = new List<string>(choices.Count * rest.Count);
        foreach (string choice in choices)
        {
            foreach (string after in rest)
            {
                names.Add(head + choice + after);
            }
        }

        return names;
    }

    private static List<string> Choices(string body, string root)
    {
        int dots = body.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            string[] items = body.Split(',');
            return items.Length < 2 || items.Any(i => i.Length == 0)
                ? throw Malformed(root, $"{{{body}}} is neither a range {{first..last}} nor a list {{a,b}}")
                : [.. items];
        }

        string first = body[..dots], last = body[(dots + 2)..];
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out long from)
            || !long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out long to))
        {
            throw Malformed(root, $"the range {{{body}}} is not two whole numbers");
        }

        if (to < from)
        {
            throw Malformed(root, $"the range {{{body}}} ends before it starts");
        }

        if (to - from >= MaxNames)
        {
            throw new ArgumentException($"The shard pattern \"{root}\" expands to {to - from + 1} names, more than {MaxNames}.", nameof(root));
        }

        int width = first.Length > 1 && first[0] == '0' || last.Length > 1 && last[0] == '0' ? Math.Max(first.Length, last.Length) : 0;
        var names = new List<string>((int)(to - from + 1));
        for (long i = from; i <= to; i++)
        {
            names.Add(i.ToString(width > 0 ? "D" + width.ToString(CultureInfo.InvariantCulture) : "D", CultureInfo.InvariantCulture));
        }

        return names;
    }

    private static ArgumentException Malformed(string root, string why) =>
        new($"The shard pattern \"{root}\" is not valid: {why}.", nameof(root));
}
