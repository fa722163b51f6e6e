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
        Assert.AreEqual(TimeSpan.FromMinutes(1), options.MaxOutage);
        Assert.AreEqual(8, options.BreakerFailures);
        options.Validate();
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(-1.0)]
    [DataRow(3601.0)]
    public void Validate_ReadTimeoutOutOfRange_ThrowsNamingItAndTheRange(double seconds)
    {
        var options = new StorageOptions { ReadTimeout = TimeSpan.FromSeconds(seconds) };
        var e = Assert.ThrowsExactly<PipelineOptionsException>(options.Validate);
        Assert.AreEqual("ReadTimeout", e.ParamName);
        Assert.StartsWith($"Parameter \"ReadTimeout\" must be between 0 and 1 hour (exclusive of 0), was {TimeSpan.FromSeconds(seconds)}.", e.Message);
    }

    [TestMethod]
    [DataRow(-1.0)]
    [DataRow(3601.0)]
    public void Validate_MaxOutageOutOfRange_ThrowsNamingItAndTheRange(double seconds)
    {
        var options = new StorageOptions { MaxOutage = TimeSpan.FromSeconds(seconds) };
        var e = Assert.ThrowsExactly<PipelineOptionsException>(options.Validate);
        Assert.AreEqual("MaxOutage", e.ParamName);
        Assert.StartsWith($"Parameter \"MaxOutage\" must be between 0 and 1 hour, was {TimeSpan.FromSeconds(seconds)}.", e.Message);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1001)]
    public void Validate_BreakerFailuresOutOfRange_ThrowsNamingItAndTheRange(int failures)
    {
        var options = new StorageOptions { BreakerFailures = failures };
        var e = Assert.ThrowsExactly<PipelineOptionsException>(options.Validate);
        Assert.AreEqual("BreakerFailures", e.ParamName);
        Assert.StartsWith($"Parameter \"BreakerFailures\" must be between 1 and 1000, was {failures}.", e.Message);
    }

    [TestMethod]
    public void Validate_BoundsOfTheNewOptions_Accepted() =>
        new StorageOptions { MaxOutage = TimeSpan.Zero, BreakerFailures = 1 }.Validate();

    [TestMethod]
    public void Validate_ReadTimeoutOfAnHour_Accepted() => new StorageOptions { ReadTimeout = TimeSpan.FromHours(1) }.Validate();

    [TestMethod]
    public void Validate_TwoValuesOutOfRange_OneExceptionListingBothNamedByTheFirst()
    {
        var options = new StorageOptions { MaxBytesInFlight = 10, MaxRetries = 21 };

        var e = Assert.ThrowsExactly<PipelineOptionsException>(options.Validate);

        Assert.AreEqual("MaxBytesInFlight", e.ParamName);
        CollectionAssert.AreEqual(new[] { "MaxBytesInFlight", "MaxRetries" }, e.Failures.Select(f => f.Option).ToArray());
        Assert.AreEqual(
            $"Invalid pipeline options (2 failures):{Environment.NewLine}- Parameter \"MaxBytesInFlight\" must be at least 4096, was 10.{Environment.NewLine}- Parameter \"MaxRetries\" must be between 0 and 20, was 21.",
            e.Message);
    }
}
