using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class ShardSourceOptionsTests
{
    [TestMethod]
    public void Validate_Defaults_Accepted() => new ShardSourceOptions().Validate();

    [TestMethod]
    public void Validate_OwnAndStorageValuesOutOfRange_OneExceptionListingEvery()
    {
        var options = new ShardSourceOptions { MaxSamplesHeld = 0, MaxMemberBytes = 0, Storage = new StorageOptions { MaxRetries = -1 } };

        var e = Assert.ThrowsExactly<PipelineOptionsException>(options.Validate);

        Assert.AreEqual("MaxSamplesHeld", e.ParamName);
        CollectionAssert.AreEqual(new[] { "MaxSamplesHeld", "MaxMemberBytes", "MaxRetries" }, e.Failures.Select(f => f.Option).ToArray());
        Assert.AreEqual("Parameter \"MaxSamplesHeld\" must be at least 1, was 0.", e.Failures[0].Message);
        Assert.AreEqual($"Parameter \"MaxMemberBytes\" must be between 1 and {Array.MaxLength}, was 0.", e.Failures[1].Message);
        Assert.AreEqual("Parameter \"MaxRetries\" must be between 0 and 20, was -1.", e.Failures[2].Message);
    }

    [TestMethod]
    public void Constructor_InvalidOptions_ThrowsBeforeAnyRead()
    {
        var e = Assert.ThrowsExactly<PipelineOptionsException>(() => new ShardSampleSource(new ShardSourceOptions { MaxSamplesHeld = 0 }));

        Assert.AreEqual("MaxSamplesHeld", e.ParamName);
        Assert.AreEqual("Parameter \"MaxSamplesHeld\" must be at least 1, was 0.", e.Message);
    }
}
