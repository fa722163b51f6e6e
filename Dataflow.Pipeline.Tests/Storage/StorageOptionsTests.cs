using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class StorageOptionsTests
{
    [TestMethod]
    public void Default_Values_AsDocumented()
    {
        StorageOptions options = StorageOptions.Default;
        Assert.AreEqual(4, options.MaxRetries);
        Assert.AreEqual(TimeSpan.FromMilliseconds(200), options.RetryDelay);
        Assert.AreEqual(TimeSpan.FromSeconds(100), options.RequestTimeout);
        Assert.AreEqual(TimeSpan.FromSeconds(30), options.ReadTimeout);
        options.Validate();
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(-1.0)]
    [DataRow(3601.0)]
    public void Validate_ReadTimeoutOutOfRange_ThrowsNamingItAndTheRange(double seconds)
    {
        var options = new StorageOptions { ReadTimeout = TimeSpan.FromSeconds(seconds) };
        var e = Assert.ThrowsExactly<ArgumentException>(options.Validate);
        Assert.AreEqual("ReadTimeout", e.ParamName);
        Assert.StartsWith($"Parameter \"ReadTimeout\" must be between 0 and 1 hour (exclusive of 0), was {TimeSpan.FromSeconds(seconds)}.", e.Message);
    }

    [TestMethod]
    public void Validate_ReadTimeoutOfAnHour_Accepted() => new StorageOptions { ReadTimeout = TimeSpan.FromHours(1) }.Validate();
}
