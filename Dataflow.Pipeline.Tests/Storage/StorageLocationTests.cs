using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class StorageLocationTests
{
    private static readonly StorageOptions Offline = new()
    {
        S3ServiceUrl = "http://127.0.0.1:1",
        AzureConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
    };

    [TestMethod]
    [DataRow("s3://data/a#b/c%41d", "data", "a#b/c%41d/")]
    [DataRow("az://data/a#b/c%41d/", "data", "a#b/c%41d/")]
    [DataRow("s3://data/?x=1", "data", "?x=1/")]
    [DataRow("s3://data", "data", "")]
    [DataRow("az://data/", "data", "")]
    public void Open_S3OrAzPrefixWithHashQuestionOrPercent_KeptAsKeyCharacters(string root, string container, string prefix)
    {
        StorageLocation location = StorageLocation.Open(root, Offline);
        using IObjectStore store = location.Store;
        Assert.AreEqual(prefix, location.Prefix);
        Assert.AreEqual($"{root[..5]}{container}/{prefix}k", store.Describe(prefix + "k"));
    }

    [TestMethod]
    public void Open_HttpsUrlWithFragment_RefusedNamingIt()
    {
        const string root = "https://acct.blob.core.windows.net/data/a#b";
        var e = Assert.ThrowsExactly<ArgumentException>(() => StorageLocation.Open(root, Offline));
        Assert.AreEqual("root", e.ParamName);
        Assert.StartsWith($"The dataset location \"{root}\" has a fragment (\"#b\"), which a URL does not send: write a '#' in a key as %23.", e.Message);
    }

    [TestMethod]
    public void Open_HttpsUrl_PathPercentDecoded()
    {
        StorageLocation location = StorageLocation.Open("https://acct.blob.core.windows.net/data/a%23b/c%20d", Offline);
        using IObjectStore store = location.Store;
        Assert.AreEqual("a#b/c d/", location.Prefix);
    }

    [TestMethod]
    [DataRow("s3:///prefix", "bucket")]
    [DataRow("az:///prefix", "container")]
    public void Open_NoBucketOrContainer_RefusedNamingTheLocation(string root, string what)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => StorageLocation.Open(root, Offline));
        Assert.StartsWith($"The dataset location \"{root}\" names no {what}.", e.Message);
    }
}
