using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class S3ObjectStoreTests
{
    [TestMethod]
    public void Constructor_NoEndpointNorRegionAnywhere_ThrowsNamingTheOptionsAndVariables()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new S3ObjectStore("data", new StorageOptions(), _ => null, () => null));
        Assert.AreEqual("options", e.ParamName);
        Assert.StartsWith(
            "The bucket 's3://data' needs a region or an endpoint, and none is set: set StorageOptions.S3Region (or AWS_REGION, or a region in the AWS profile) for AWS S3, or StorageOptions.S3ServiceUrl (or AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL) for an S3-compatible server.",
            e.Message);
    }

    [TestMethod]
    [DataRow("AWS_REGION")]
    [DataRow("AWS_DEFAULT_REGION")]
    public void Constructor_RegionFromTheEnvironment_Accepted(string variable)
    {
        using var store = new S3ObjectStore("data", new StorageOptions(), name => name == variable ? "eu-west-1" : null, () => null);
        Assert.AreEqual("s3://data/k", store.Describe("k"));
    }

    [TestMethod]
    public void Constructor_RegionFromTheSdkChainOrAnEndpoint_Accepted()
    {
        using var profile = new S3ObjectStore("data", new StorageOptions(), _ => null, () => "eu-west-1");
        using var endpoint = new S3ObjectStore("data", new StorageOptions(), name => name == "AWS_ENDPOINT_URL" ? "http://127.0.0.1:1" : null, () => null);
        Assert.AreEqual("data", profile.Bucket);
        Assert.AreEqual("data", endpoint.Bucket);
    }
}
