using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using OpenCvSharp;
using static Dataflow.Pipeline.Tests.Augmentation.AugmentationAssert;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomGrayscaleTests
{
    [TestMethod]
    [DataRow(ColorMode.Bgr, ColorConversionCodes.BGR2GRAY)]
    [DataRow(ColorMode.Rgb, ColorConversionCodes.RGB2GRAY)]
    public void Apply_POne_EveryChannelIsOpenCvLumaInTheContextsOrder(ColorMode order, ColorConversionCodes code)
    {
        using Mat source = Source();
        using var gray = new Mat();
        Cv2.CvtColor(source, gray, code);
        using var expected = new Mat();
        Cv2.Merge([gray, gray, gray], expected);
        using Mat input = source.Clone();
        Mat result = new RandomGrayscale(1).Apply(input, new AugmentationContext(1, 0, 0, order));
        AreSame(expected, result);
    }

    [TestMethod]
    public void Apply_PZero_Identity() => IdentityAtZero(new RandomGrayscale(0));

    [TestMethod]
    public void Apply_OneChannel_Unchanged()
    {
        using var source = new Mat(5, 5, MatType.CV_8UC1, Scalar.All(42));
        using Mat result = Run(new RandomGrayscale(1), source);
        AreSame(source, result);
    }

    [TestMethod]
    public void Apply_SameSeed_SameResultAndSeedsDiffer() => Deterministic(new RandomGrayscale(0.5));

    [TestMethod]
    public void Constructor_NegativeP_ThrowsNamingP() =>
        Rejects<ArgumentOutOfRangeException>(() => new RandomGrayscale(-0.5), "p", "Parameter \"p\" must be at least 0 and at most 1, was -0.5.");

    [TestMethod]
    public void ToString_NamesP() => Assert.AreEqual("RandomGrayscale(p=0.1)", new RandomGrayscale().ToString());
}
