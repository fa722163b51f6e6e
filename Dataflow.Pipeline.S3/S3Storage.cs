using Amazon.Runtime;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Makes <c>s3://bucket/prefix</c> dataset locations readable (<see cref="S3ObjectStore"/>): call
/// <see cref="Register()"/> once at start-up, before building a pipeline that reads them.
/// </summary>
public static class S3Storage
{
    /// <summary>Registers the <c>s3</c> scheme with <see cref="ObjectStoreSchemes"/>; calling it again changes nothing.</summary>
    public static void Register() => ObjectStoreSchemes.Register(Scheme.Instance);

    /// <summary>
    /// As <see cref="Register()"/>, with the credentials of every S3 store whose <see cref="StorageOptions"/> sets no
    /// <see cref="StorageOptions.S3AccessKeyId"/> (an assumed role, a custom chain): null for the SDK's default chain.
    /// </summary>
    public static void Register(AWSCredentials? credentials)
    {
        DefaultCredentials = credentials;
        Register();
    }

    /// <summary>The credentials given to <see cref="Register(AWSCredentials)"/>, or null.</summary>
    internal static AWSCredentials? DefaultCredentials { get; private set; }

    private sealed class Scheme : IObjectStoreScheme
    {
        public static readonly Scheme Instance = new();

        public IReadOnlyList<string> Schemes { get; } = ["s3"];

        public StorageLocation Open(string location, StorageOptions options)
        {
            (string bucket, string prefix) = StorageLocation.SplitKeyLocation(location, "bucket");
            return new StorageLocation(new S3ObjectStore(bucket, options), prefix);
        }
    }
}
