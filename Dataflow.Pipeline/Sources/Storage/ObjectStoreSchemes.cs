using System.Collections.Concurrent;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The URL schemes the process can read datasets from, beyond local paths: each storage package registers its own
/// (<c>S3Storage.Register()</c> in Dataflow.Pipeline.S3, <c>AzureBlobStorage.Register()</c> in Dataflow.Pipeline.Azure),
/// so an app that reads local data only carries no cloud SDK.
/// </summary>
/// <remarks>Registration is explicit (no assembly scanning), so it holds under trimming and native AOT. A later
/// registration of a scheme replaces the earlier one. Thread-safe.</remarks>
public static class ObjectStoreSchemes
{
    private static readonly ConcurrentDictionary<string, IObjectStoreScheme> Registered = new(StringComparer.OrdinalIgnoreCase);

    // What to add for the schemes the project ships a package for, named when one is used unregistered.
    private static readonly Dictionary<string, (string Package, string Call)> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["s3"] = ("Dataflow.Pipeline.S3", "S3Storage.Register()"),
        ["az"] = ("Dataflow.Pipeline.Azure", "AzureBlobStorage.Register()"),
        ["https"] = ("Dataflow.Pipeline.Azure", "AzureBlobStorage.Register()"),
        ["http"] = ("Dataflow.Pipeline.Azure", "AzureBlobStorage.Register()"),
    };

    /// <summary>Makes <paramref name="scheme"/>'s locations readable by every source of the process.</summary>
    /// <exception cref="ArgumentException">It declares no scheme, or one that is empty or contains <c>:</c> or <c>/</c>.</exception>
    public static void Register(IObjectStoreScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        if (scheme.Schemes is not { Count: > 0 } names)
        {
            throw new ArgumentException($"{scheme.GetType().Name} declares no scheme.", nameof(scheme));
        }

        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny(":/") >= 0)
            {
                throw new ArgumentException($"{scheme.GetType().Name} declares the scheme \"{name}\": a scheme is a name such as \"s3\", without \"://\".", nameof(scheme));
            }
        }

        foreach (string name in names)
        {
            Registered[name] = scheme;
        }
    }

    /// <summary>True when locations of <paramref name="scheme"/> (<c>"s3"</c>) can be opened.</summary>
    public static bool IsRegistered(string scheme) => Registered.ContainsKey(scheme);

    /// <summary>The scheme of <paramref name="location"/> (<c>s3</c> of <c>s3://bucket/x</c>), or null for a local path.</summary>
    internal static string? SchemeOf(string location)
    {
        int end = location.IndexOf("://", StringComparison.Ordinal);
        // A scheme is letters, digits, '+', '-' and '.', starting with a letter (RFC 3986); one letter is a Windows drive.
        if (end < 2 || !char.IsAsciiLetter(location[0]))
        {
            return null;
        }

        foreach (char c in location.AsSpan(0, end))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return null;
            }
        }

        return location[..end].ToLowerInvariant();
    }

    /// <summary>Opens <paramref name="location"/> with its scheme's registration.</summary>
    /// <exception cref="ArgumentException">No package registered the scheme: the message names the package and the call.</exception>
    internal static StorageLocation Open(string location, string scheme, StorageOptions options)
    {
        if (Registered.TryGetValue(scheme, out IObjectStoreScheme? opener))
        {
            return opener.Open(location, options);
        }

        string registered = Registered.IsEmpty ? "none is registered" : "registered: " + string.Join(", ", Registered.Keys.Order(StringComparer.Ordinal).Select(k => k + "://"));
        throw new ArgumentException(Known.TryGetValue(scheme, out (string Package, string Call) known)
            ? $"The dataset location \"{location}\" is a {scheme}:// location, which needs the {known.Package} package: {AddPackage(known.Package, known.Call)} ({registered})."
            : $"The dataset location \"{location}\" has the scheme {scheme}://, which no storage package registered ({registered}); implement IObjectStoreScheme and call ObjectStoreSchemes.Register.", nameof(location));
    }

    /// <summary>What a user adds for a reader that lives in a package of its own: the package and its registration call.</summary>
    internal static string AddPackage(string package, string call) => $"add it (dotnet add package {package}) and call {call} once at start-up";
}
