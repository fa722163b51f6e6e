using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Targets;

[TestClass]
public sealed class KeypointsTests
{
    [TestMethod]
    public void ToPixels_Normalized_ScalesXAndYOnly()
    {
        var keypoints = new Keypoints([0.5f, 0.25f, 2, 1, 1, 1], 1, 2, normalized: true);
        CollectionAssert.AreEqual(new[] { 100f, 25f, 2f, 200f, 100f, 1f }, keypoints.ToPixels(new Size(200, 100)));
        Assert.AreEqual(1, keypoints.InstanceCount);
        Assert.AreEqual(2, keypoints.KeypointCount);
    }

    [TestMethod]
    public void Constructor_BadVisibility_NamesInstanceAndKeypoint()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Keypoints([0, 0, 2, 0, 0, 2, 0, 0, 2, 5, 5, 3], 2, 2));
        Assert.AreEqual("Instance 1 keypoint 1 is (5, 5, 3): x and y must be finite and the visibility 0, 1 or 2. (Parameter 'values')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new Keypoints(new float[5], 1, 2));
        Assert.AreEqual("Keypoints take 3 numbers each (x, y, visibility): 5 numbers for 1 instances of 2. (Parameter 'values')", e.Message);
    }
}
