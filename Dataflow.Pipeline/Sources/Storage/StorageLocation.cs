namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A dataset location posted to the pipeline, resolved to a store and a key prefix: a local folder,
/// <c>s3://bucket/prefix</c>, <c>az://container/prefix</c> (account from the connection string) or
/// <c>https://account.blob.core.windows.net/container/prefix?SAS</c>.
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
    /// <summary>True when <paramref name="root"/> names object storage rather than a local path.</summary>
    public static bool IsRemote(string root) =>
        root.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
        || root.StartsWith("az://", StringComparison.OrdinalIgnoreCase)
        || root.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || root.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Resolves <paramref name="root"/>.</summary>
    /// <exception cref="ArgumentException">The location is malformed, or an <c>az://</c> location has no connection string.</exception>
    public static StorageLocation Open(string root, StorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= StorageOptions.Default;
        if (!IsRemote(root))
        {
            return new StorageLocation(new LocalObjectStore(root), "");
        }

        int schemeEnd = root.IndexOf("://", StringComparison.Ordinal);
        string scheme = root[..schemeEnd].ToLowerInvariant();
        if (scheme is "s3" or "az")
        {
            // Keys are keys, not URL syntax: everything after the bucket or container is the prefix as written
            // ('#', '?' and '%' included, nothing decoded), as the SDKs take a key.
            string rest = root[(schemeEnd + 3)..];
            int slash = rest.IndexOf('/');
            string container = slash < 0 ? rest : rest[..slash];
            if (container.Length == 0)
            {
                throw new ArgumentException($"The dataset location \"{root}\" names no {(scheme == "s3" ? "bucket" : "container")}.", nameof(root));
            }

            string prefix = NormalizePrefix(slash < 0 ? "" : rest[(slash + 1)..]);
            if (scheme == "s3")
            {
                return new StorageLocation(new S3ObjectStore(container, options), prefix);
            }

            string? connection = options.AzureConnectionString ?? Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING");
            if (string.IsNullOrWhiteSpace(connection))
            {
                throw new ArgumentException($"The dataset location \"{root}\" needs an Azure Storage connection string: set AZURE_STORAGE_CONNECTION_STRING or StorageOptions.AzureConnectionString (or use the container's https URL with a SAS token).", nameof(root));
            }

            return new StorageLocation(new AzureBlobObjectStore(connection, container, options), prefix);
        }

        // https://account.blob.core.windows.net/container/prefix?sas: a URL, read as one (percent-decoded).
        if (!Uri.TryCreate(root, UriKind.Absolute, out Uri? uri))
        {
            throw new ArgumentException($"The dataset location \"{root}\" is not a valid URL.", nameof(root));
        }

        if (uri.Fragment.Length > 0)
        {
            throw new ArgumentException($"The dataset location \"{root}\" has a fragment (\"{uri.Fragment}\"), which a URL does not send: write a '#' in a key as %23.", nameof(root));
        }

        string[] parts = uri.AbsolutePath.Trim('/').Split('/', 2);
        if (parts[0].Length == 0)
        {
            throw new ArgumentException($"The dataset location \"{root}\" names no container (expected https://account.blob.core.windows.net/container/prefix).", nameof(root));
        }

        var containerUri = new UriBuilder(uri) { Path = "/" + parts[0] }.Uri;
        return new StorageLocation(new AzureBlobObjectStore(containerUri, options), NormalizePrefix(parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : ""));
    }

    private static string NormalizePrefix(string path)
    {
        string trimmed = path.Trim('/');
        return trimmed.Length == 0 ? "" : trimmed + "/";
    }
}
