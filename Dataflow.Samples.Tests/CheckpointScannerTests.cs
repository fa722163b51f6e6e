using Dataflow.Samples.Checkpoints;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class CheckpointScannerTests
{
    [TestMethod]
    [DataRow("weights.01-0.83.hdf5", 1, 0.83)]
    [DataRow("weights.12-1.05.hdf5", 12, 1.05)]
    [DataRow("weights.100-12.50.hdf5", 100, 12.5)]
    [DataRow("weights.07-3.hdf5", 7, 3.0)]
    public void Parse_KerasDefaultName_GivesEpochAndLoss(string name, int epoch, double loss)
    {
        (Checkpoint? checkpoint, IgnoredName? ignored) = new CheckpointScanner().Parse(name);

        Assert.IsNull(ignored);
        Assert.AreEqual(new Checkpoint(name, epoch, loss), checkpoint);
    }

    [TestMethod]
    [DataRow("weights.01-0.83.h5")]
    [DataRow("weights-0.83.hdf5")]
    [DataRow("xweights.01-0.83.hdf5")]
    [DataRow("weights.01-nan.hdf5")]
    public void Parse_OtherName_IsIgnoredWithReason(string name)
    {
        (Checkpoint? checkpoint, IgnoredName? ignored) = new CheckpointScanner().Parse(name);

        Assert.IsNull(checkpoint);
        Assert.AreEqual(new IgnoredName(name, "does not match the pattern"), ignored);
    }

    [TestMethod]
    public void Parse_LossGroupThatIsNotANumber_IsIgnoredWithReason()
    {
        var scanner = new CheckpointScanner(@"^ckpt-(?<loss>[a-z.]+)\.bin$");

        (Checkpoint? checkpoint, IgnoredName? ignored) = scanner.Parse("ckpt-abc.bin");

        Assert.IsNull(checkpoint);
        Assert.AreEqual("the loss 'abc' is not a finite number", ignored!.Reason);
    }

    [TestMethod]
    public void Constructor_InvalidRegex_ThrowsNamingThePattern()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new CheckpointScanner("(?<loss>"));

        Assert.StartsWith("--pattern is not a valid regular expression", e.Message);
    }
}
