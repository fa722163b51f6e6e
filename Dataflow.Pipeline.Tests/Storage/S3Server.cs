using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>s3rver on a free loopback port, with a client to upload test data and the options the library needs to reach it.</summary>
internal sealed class S3Server : StorageServer
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private S3Server(ServerProcess process)
        : base(process)
    {
        Client = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            // s3rver stores the aws-chunked framing otherwise.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public AmazonS3Client Client { get; }

    public static S3Server Start() =>
        new(ServerProcess.Start("s3rver", "s3rver@3.7.1", (port, data) => ["--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--directory", data, "--silent"],
            // s3rver 3.7.1 encrypts list continuation tokens with DES, which Node's OpenSSL 3 keeps in its legacy provider:
            // without it every truncated listing (more keys than asked for) answers 500.
            new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" }));

    protected override StorageOptions OptionsAt(string endpoint, long maxBytesInFlight, int retries) => Options(endpoint, maxBytesInFlight, retries, AccessKey, SecretKey);

    // s3rver does not check SigV4 signatures, only that the access key exists.
    public override StorageOptions WrongCredentials() => Options(Endpoint, 64L << 20, 0, "NOT-A-KEY", "not-the-secret");

    public override string Root(string path) => $"s3://{Container}/{path}";

    public override string MissingContainerRoot => "s3://no-such-bucket/shards";

    public override async Task CreateContainerAsync() => await Client.PutBucketAsync(Container);

    public override async Task DeleteAsync(string key) => await Client.DeleteObjectAsync(Container, key);

    private static StorageOptions Options(string endpoint, long maxBytesInFlight, int retries, string accessKey, string secret) => new()
    {
        S3ServiceUrl = endpoint,
        S3Credentials = new BasicAWSCredentials(accessKey, secret),
        MaxBytesInFlight = maxBytesInFlight,
        MaxRetries = retries,
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    public override async Task UploadFolderAsync(string folder, string prefix)
    {
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string key = prefix + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            await Client.PutObjectAsync(new PutObjectRequest { BucketName = Container, Key = key, FilePath = file, UseChunkEncoding = false });
        }
    }

    public override void Dispose()
    {
        Client.Dispose();
        base.Dispose();
    }
}
