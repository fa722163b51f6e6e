using Amazon.Runtime;
using Amazon.S3;
using Dataflow.Pipeline.Sources;
using Dataflow.Tools.Storage;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>s3rver on a free loopback port, with a client to upload test data and the options the library needs to reach it.</summary>
internal sealed class S3Server : StorageServer
{
    private S3Server(ServerProcess process)
        : base(process)
    {
        Client = LocalStorageServers.S3Client(Endpoint);
    }

    public AmazonS3Client Client { get; }

    public static S3Server Start() => new(LocalStorageServers.StartS3rver());

    protected override StorageOptions OptionsAt(string endpoint, long maxBytesInFlight, int retries, TimeSpan readTimeout, TimeSpan maxOutage, TimeSpan requestTimeout) =>
        Options(endpoint, maxBytesInFlight, retries, readTimeout, maxOutage, requestTimeout, LocalStorageServers.S3AccessKey, LocalStorageServers.S3SecretKey);

    // The SDK's credential chain reads the process's variables, so the keys stay in the options.
    public override (StorageOptions Options, IReadOnlyDictionary<string, string> Variables) FromEnvironment() =>
        (Options(null, 64L << 20, 2, TimeSpan.FromSeconds(20), TimeSpan.Zero, TimeSpan.FromSeconds(20), LocalStorageServers.S3AccessKey, LocalStorageServers.S3SecretKey), new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = Endpoint });

    // s3rver does not check SigV4 signatures, only that the access key exists.
    public override StorageOptions WrongCredentials() => Options(Endpoint, 64L << 20, 0, TimeSpan.FromSeconds(20), TimeSpan.Zero, TimeSpan.FromSeconds(20), "NOT-A-KEY", "not-the-secret");

    public override string Root(string path) => $"s3://{Container}/{path}";

    public override string MissingContainerRoot => "s3://no-such-bucket/shards";

    public override async Task CreateContainerAsync() => await Client.PutBucketAsync(Container);

    public override async Task DeleteAsync(string key) => await Client.DeleteObjectAsync(Container, key);

    public override Task UploadFolderAsync(string folder, string prefix) => LocalStorageServers.UploadS3Async(Client, folder, prefix);

    public override void Dispose()
    {
        Client.Dispose();
        base.Dispose();
    }

    private static StorageOptions Options(string? endpoint, long maxBytesInFlight, int retries, TimeSpan readTimeout, TimeSpan maxOutage, TimeSpan requestTimeout, string accessKey, string secret) => new()
    {
        ReadTimeout = readTimeout,
        MaxOutage = maxOutage,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        S3ServiceUrl = endpoint,
        S3AccessKeyId = accessKey, S3SecretAccessKey = secret,
        MaxBytesInFlight = maxBytesInFlight,
        MaxRetries = retries,
        RequestTimeout = requestTimeout,
    };
}
