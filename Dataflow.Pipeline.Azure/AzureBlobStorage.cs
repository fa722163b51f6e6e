namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Makes Azure Blob dataset locations readable (<see cref="AzureBlobObjectStore"/>): <c>az://container/prefix</c>
/// (account from <see cref="StorageOptions.AzureConnectionString"/> or <c>AZURE_STORAGE_CONNECTION_STRING</c>) and
/// <c>https://account.blob.core.windows.net/container/prefix?SAS</c>. Call <see cref="Register"/> once at start-up.
/// </summary>
public static class AzureBlobStorage
{
    /// <summary>Registers the <c>az</c>, <c>https</c> and <c>http</c> schemes with <see cref="ObjectStoreSchemes"/>; calling it again changes nothing.</summary>
    public static void Register() => ObjectStoreSchemes.Register(Scheme.Instance);

    private sealed class Scheme : IObjectStoreScheme
    {
        public static readonly Scheme Instance = new();

        public IReadOnlyList<string> Schemes { get; } = ["az", "https", "http"];

        public StorageLocation Open(string location, StorageOptions options) =>
            location.StartsWith("az://", StringComparison.OrdinalIgnoreCase) ? OpenAz(location, options) : OpenUrl(location, options);

        private static StorageLocation OpenAz(string root, StorageOptions options)
        {
            (string container, string prefix) = StorageLocation.SplitKeyLocation(root, "container");
            string? connection = options.AzureConnectionString ?? Internal.EnvironmentVariables.Read("AZURE_STORAGE_CONNECTION_STRING");
            if (string.IsNullOrWhiteSpace(connection))
            {
                throw new ArgumentException($"The dataset location \"{root}\" needs an Azure Storage connection string: set AZURE_STORAGE_CONNECTION_STRING or StorageOptions.AzureConnectionString (or use the container's https URL with a SAS token).", nameof(root));
            }

            return new StorageLocation(new AzureBlobObjectStore(connection, container, options), prefix);
        }

        /// <summary>https://account.blob.core.windows.net/container/prefix?sas: a URL, read as one (percent-decoded).</summary>
        private static StorageLocation OpenUrl(string root, StorageOptions options)
        {
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
            return new StorageLocation(new AzureBlobObjectStore(containerUri, options), StorageLocation.NormalizePrefix(parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : ""));
        }
    }
}
