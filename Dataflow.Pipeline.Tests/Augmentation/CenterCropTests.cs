using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class CenterCropTests
{
    [TestMethod]
    [DataRow(200, 100, 50, 50, 0.5, 75, 25, 50, 50)]
    [DataRow(100, 200, 20, 10, 1.0, 0, 75, 100, 50)]
    [DataRow(256, 256, 224, 224, 0.875, 16, 16, 224, 224)]
    public void SelectRegion_CentredWindowOfTargetAspect(int sw, int sh, int tw, int th, double fraction, int x, int y, int w, int h) =>
        Assert.AreEqual(new Rect(x, y, w, h), new CenterCrop(fraction).SelectRegion(new Size(sw, sh), new Size(tw, th), Context(0)));

    [TestMethod]
    public void Apply_EqualsTheCentreRegionResized()
    {
        using Mat source = Source(40, 32);
        using var view = new Mat(source, new Rect(10, 8, 20, 16));
        using var expected = new Mat();
        Cv2.Resize(view, expected, source.Size(), 0, 0, InterpolationFlags.Linear);
        using Mat result = Run(new CenterCrop(0.5), source);
        AreSame(expected, result);
    }

    [TestMethod]
    public void Apply_FractionOne_ReturnsTheSameImage()
    {
        using Mat source = Source();
        Mat result = new CenterCrop(1).Apply(source, Context(0));
        Assert.AreSame(source, result);
    }

    [TestMethod]
    public void Constructor_FractionZero_ThrowsNamingFraction() =>
        Rejects<ArgumentOutOfRangeException>(() => new CenterCrop(0), "fraction", "Parameter \"fraction\" must be above 0 and at most 1, was 0.");

    [TestMethod]
    public void ToString_NamesFraction() => Assert.AreEqual("CenterCrop(fraction=0.875)", new CenterCrop().ToString());
}
