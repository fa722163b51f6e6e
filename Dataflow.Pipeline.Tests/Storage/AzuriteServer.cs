using Azure.Storage.Blobs;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>Azurite's blob service on a free loopback port, with the development account's connection string.</summary>
internal sealed class AzuriteServer : StorageServer
{
    // Azurite's well-known development account (documented by Microsoft; not a secret).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private AzuriteServer(ServerProcess process)
        : base(process)
    {
    }

    public string ConnectionString => ConnectionStringWith(Endpoint, AccountKey);

    private static string ConnectionStringWith(string endpoint, string key) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint={endpoint}/devstoreaccount1;";

    public static AzuriteServer Start() =>
        new(ServerProcess.Start("azurite-blob", "azurite@3.37.0", (port, data) =>
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", data, "--silent", "--skipApiVersionCheck", "--disableTelemetry"]));

    protected override StorageOptions OptionsAt(string endpoint, long maxBytesInFlight, int retries) => Options(maxBytesInFlight, retries, ConnectionStringWith(endpoint, AccountKey));

    public override StorageOptions WrongCredentials() => Options(64L << 20, 0, ConnectionStringWith(Endpoint, Convert.ToBase64String(new byte[64])));

    public override string Root(string path) => $"az://{Container}/{path}";

    public override string MissingContainerRoot => "az://no-such-container/shards";

    public override async Task CreateContainerAsync() => await new BlobContainerClient(ConnectionString, Container).CreateIfNotExistsAsync();

    public override async Task DeleteAsync(string key) => await new BlobContainerClient(ConnectionString, Container).DeleteBlobAsync(key);

    private StorageOptions Options(long maxBytesInFlight, int retries, string connectionString) => new()
    {
        AzureConnectionString = connectionString,
        MaxBytesInFlight = maxBytesInFlight,
        MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    public override async Task UploadFolderAsync(string folder, string prefix)
    {
        var client = new BlobContainerClient(ConnectionString, Container);
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string key = prefix + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            await client.GetBlobClient(key).UploadAsync(file, overwrite: true);
        }
    }
}
