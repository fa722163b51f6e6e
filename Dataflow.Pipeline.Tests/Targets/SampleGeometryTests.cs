using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Targets;

[TestClass]
public sealed class SampleGeometryTests
{
    // A 1280x720 image letterboxed into 640x640, as a YOLO-style detector takes it: scaled by 0.5, padded 140 px above and below.
    private static SampleGeometry Letterboxed640() =>
        new(new Size(1280, 720), new Size(640, 640), Affine2D.Scale(0.5, 0.5).Then(Affine2D.Translation(0, 140)));

    [TestMethod]
    public void BoxesToSource_PredictionsOnALetterboxed640Input_LandOnTheSourceImagesPixels()
    {
        SampleGeometry geometry = Letterboxed640();

        // What a detector predicts on the batch row (tensor pixels, xyxy): the second box reaches into the bottom padding.
        float[] back = geometry.BoxesToSource([100, 240, 300, 340, 500, 400, 640, 520]);

        CollectionAssert.AreEqual(new float[] { 200, 200, 600, 400, 1000, 520, 1280, 720 }, back, "clipped to the source image at its bottom edge");
    }

    [TestMethod]
    public void BoxesToSource_CxcywhNormalizedPredictions_AreConvertedAndMappedBack()
    {
        SampleGeometry geometry = Letterboxed640();

        // YOLO's own output: centre and size, normalized to the 640x640 input.
        float[] back = geometry.BoxesToSource([200f / 640, 290f / 640, 200f / 640, 100f / 640], BoxFormat.CxcywhNormalized);

        float[] expected = [200, 200, 600, 400];
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(expected[i], back[i], 1e-3, $"coordinate {i}");
        }
    }

    [TestMethod]
    public void KeypointsToSource_MirroredRow_MapsBackThroughTheFlipAndKeepsVisibility()
    {
        // A 200x100 image stretched to 100x100, then mirrored.
        var geometry = new SampleGeometry(new Size(200, 100), new Size(100, 100),
            Affine2D.Scale(0.5, 1).Then(new Affine2D(-1, 0, 100, 0, 1, 0)));

        float[] back = geometry.KeypointsToSource([10, 20, 2, 90, 50, 0]);

        Assert.IsTrue(geometry.Mirrored);
        CollectionAssert.AreEqual(new float[] { 180, 20, 2, 20, 50, 0 }, back);
    }
}
