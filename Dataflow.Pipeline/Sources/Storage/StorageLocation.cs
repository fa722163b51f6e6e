namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A dataset location posted to the pipeline, resolved to a store and a key prefix: a local folder, or a URL of a
/// registered scheme (<see cref="ObjectStoreSchemes"/>): <c>s3://bucket/prefix</c> (Dataflow.Pipeline.S3),
/// <c>az://container/prefix</c> (account from the connection string) or
/// <c>https://account.blob.core.windows.net/container/prefix?SAS</c> (Dataflow.Pipeline.Azure).
/// </summary>
/// <remarks>
/// In <c>s3://</c> and <c>az://</c> locations the prefix is a key prefix as written: <c>#</c>, <c>?</c> and <c>%xx</c>
/// are characters of the key, nothing is decoded. An <c>https://</c> location is a URL: its path is percent-decoded,
/// <c>?</c> starts the SAS token, and a <c>#</c> (a fragment, which is never sent) is refused.
/// </remarks>
/// <param name="Store">The store; the caller disposes it.</param>
/// <param name="Prefix">The keys' prefix inside the store: empty, or ending with <c>/</c>.</param>
public sealed record StorageLocation(IObjectStore Store, string Prefix)
{
    /// <summary>True when <paramref name="root"/> names object storage (a URL with a scheme) rather than a local path.</summary>
    public static bool IsRemote(string root) => ObjectStoreSchemes.SchemeOf(root) is not null;

    /// <summary>Resolves <paramref name="root"/>: a local path, or a URL whose scheme a storage package registered (<see cref="ObjectStoreSchemes"/>).</summary>
    /// <exception cref="ArgumentException">The location is malformed, its scheme is not registered (the message names the package to add), or an <c>az://</c> location has no connection string.</exception>
    public static StorageLocation Open(string root, StorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= StorageOptions.Default;
        return ObjectStoreSchemes.SchemeOf(root) is { } scheme
            ? ObjectStoreSchemes.Open(root, scheme, options)
            : new StorageLocation(new LocalObjectStore(root), "");
    }

    /// <summary>
    /// Splits <c>scheme://container/prefix</c> into the container (bucket) and the key prefix, taken as written: keys are
    /// keys, not URL syntax (<c>#</c>, <c>?</c> and <c>%</c> included, nothing decoded), as the SDKs take a key.
    /// </summary>
    /// <exception cref="ArgumentException">No container is named.</exception>
    internal static (string Container, string Prefix) SplitKeyLocation(string root, string containerWord)
    {
        int schemeEnd = root.IndexOf("://", StringComparison.Ordinal);
        string rest = root[(schemeEnd + 3)..];
        int slash = rest.IndexOf('/');
        string container = slash < 0 ? rest : rest[..slash];
        if (container.Length == 0)
        {
            throw new ArgumentException($"The dataset location \"{root}\" names no {containerWord}.", nameof(root));
        }

        return (container, NormalizePrefix(slash < 0 ? "" : rest[(slash + 1)..]));
    }

    /// <summary>The prefix without leading or trailing slashes, then with one trailing slash (or empty).</summary>
    internal static string NormalizePrefix(string path)
    {
        string trimmed = path.Trim('/');
        return trimmed.Length == 0 ? "" : trimmed + "/";
    }
}
