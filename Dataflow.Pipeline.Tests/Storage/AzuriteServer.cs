using Azure.Storage.Blobs;
using Dataflow.Pipeline.Sources;
using Dataflow.Tools.Storage;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>Azurite's blob service on a free loopback port, with the development account's connection string.</summary>
internal sealed class AzuriteServer : StorageServer
{
    private AzuriteServer(ServerProcess process)
        : base(process)
    {
    }

    public override bool ClientReasksBrokenBodies => true;

    public string ConnectionString => LocalStorageServers.AzuriteConnectionString(Endpoint);

    public static AzuriteServer Start() => new(LocalStorageServers.StartAzurite());

    protected override StorageOptions OptionsAt(string endpoint, long maxBytesInFlight, int retries, TimeSpan readTimeout, TimeSpan maxOutage, TimeSpan requestTimeout) =>
        Options(maxBytesInFlight, retries, readTimeout, maxOutage, requestTimeout, LocalStorageServers.AzuriteConnectionString(endpoint));

    public override StorageOptions WrongCredentials() => Options(64L << 20, 0, TimeSpan.FromSeconds(20), TimeSpan.Zero, TimeSpan.FromSeconds(20), LocalStorageServers.AzuriteConnectionString(Endpoint, Convert.ToBase64String(new byte[64])));

    public override (StorageOptions Options, IReadOnlyDictionary<string, string> Variables) FromEnvironment() =>
        (Options(64L << 20, 2, TimeSpan.FromSeconds(20), TimeSpan.Zero, TimeSpan.FromSeconds(20), null), new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = ConnectionString });

    public override string Root(string path) => $"az://{Container}/{path}";

    public override string MissingContainerRoot => "az://no-such-container/shards";

    public override async Task CreateContainerAsync() => await new BlobContainerClient(ConnectionString, Container).CreateIfNotExistsAsync();

    public override async Task DeleteAsync(string key) => await new BlobContainerClient(ConnectionString, Container).DeleteBlobAsync(key);

    public override Task UploadFolderAsync(string folder, string prefix) => LocalStorageServers.UploadAzureAsync(ConnectionString, folder, prefix);

    private static StorageOptions Options(long maxBytesInFlight, int retries, TimeSpan readTimeout, TimeSpan maxOutage, TimeSpan requestTimeout, string? connectionString) => new()
    {
        ReadTimeout = readTimeout,
        MaxOutage = maxOutage,
        AzureConnectionString = connectionString,
        MaxBytesInFlight = maxBytesInFlight,
        MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        RequestTimeout = requestTimeout,
    };
}
