using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;

namespace Dataflow.Tools.Storage;

/// <summary>
/// s3rver and Azurite on loopback, and what it takes to put a folder into them: the bench's storage variants and the
/// tests start and fill them the same way (the test project compiles this file too).
/// </summary>
internal static class LocalStorageServers
{
    /// <summary>The one bucket (s3rver) or container (Azurite) used.</summary>
    public const string Container = "data";

    /// <summary>s3rver's default access key (it checks that the key exists, not the SigV4 signature).</summary>
    public const string S3AccessKey = "S3RVER";

    /// <summary>s3rver's default secret.</summary>
    public const string S3SecretKey = "S3RVER";

    // Azurite's well-known development account (documented by Microsoft; not a secret).
    private const string AzuriteAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Starts s3rver 3.7.1 from .tools on a free port.</summary>
    public static ServerProcess StartS3rver() =>
        ServerProcess.Start("s3rver", "s3rver@3.7.1", (port, data) => ["--address", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--directory", data, "--silent"],
            // s3rver 3.7.1 encrypts list continuation tokens with DES, which Node's OpenSSL 3 keeps in its legacy provider:
            // without it every truncated listing (more keys than asked for) answers 500.
            new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" });

    /// <summary>Starts Azurite's blob service 3.37.0 from .tools on a free port.</summary>
    public static ServerProcess StartAzurite() =>
        ServerProcess.Start("azurite-blob", "azurite@3.37.0", (port, data) =>
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--location", data, "--silent", "--skipApiVersionCheck", "--disableTelemetry"]);

    /// <summary>The connection string of Azurite's development account at <paramref name="endpoint"/>, with another key if given.</summary>
    public static string AzuriteConnectionString(string endpoint, string? accountKey = null) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={accountKey ?? AzuriteAccountKey};BlobEndpoint={endpoint}/devstoreaccount1;";

    /// <summary>An S3 client for s3rver at <paramref name="endpoint"/>, to create the bucket and upload.</summary>
    public static AmazonS3Client S3Client(string endpoint) => new(new BasicAWSCredentials(S3AccessKey, S3SecretKey), new AmazonS3Config
    {
        ServiceURL = endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        // s3rver stores the aws-chunked framing otherwise.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Uploads every file under <paramref name="folder"/> to <paramref name="prefix"/> in the bucket.</summary>
    public static async Task UploadS3Async(AmazonS3Client client, string folder, string prefix)
    {
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = Container, Key = KeyOf(folder, file, prefix), FilePath = file, UseChunkEncoding = false }).ConfigureAwait(false);
        }
    }

    /// <summary>Uploads every file under <paramref name="folder"/> to <paramref name="prefix"/> in the container.</summary>
    public static async Task UploadAzureAsync(string connectionString, string folder, string prefix)
    {
        var client = new BlobContainerClient(connectionString, Container);
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            await client.GetBlobClient(KeyOf(folder, file, prefix)).UploadAsync(file, overwrite: true).ConfigureAwait(false);
        }
    }

    private static string KeyOf(string folder, string file, string prefix) => prefix + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
}
