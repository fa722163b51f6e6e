using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Pipeline.Tests.Targets;

[TestClass]
public sealed class TargetSchemaTests
{
    private static readonly TargetSchema Pose = new(TargetKinds.Boxes | TargetKinds.Keypoints, ["person", "dog"])
    {
        KeypointNames = ["nose", "left_eye", "right_eye"],
        FlipPairs = [(1, 2)],
        Skeleton = [(0, 1), (0, 2)],
    };

    private static SampleInfo Sample(SampleTargets targets) => new(0, "a.jpg", 0) { Targets = targets };

    [TestMethod]
    public void FlipPermutation_SwapsPairsOnly()
    {
        CollectionAssert.AreEqual(new[] { 0, 2, 1 }, Pose.FlipPermutation);
    }

    [TestMethod]
    public void Check_Fits_IsNull()
    {
        var targets = new SampleTargets
        {
            Boxes = new BoundingBoxes([0, 0, 5, 5], [1]),
            Keypoints = new Keypoints([1, 1, 2, 2, 2, 1, 0, 0, 0], 1, 3),
        };
        Assert.IsNull(Pose.Check(Sample(targets)));
        Assert.IsNull(Pose.Check(new SampleInfo(1, "negative.jpg", 0)));
    }

    [TestMethod]
    public void Check_EachMisfit_NamesTheSampleAndAnnotation()
    {
        Assert.AreEqual("Sample #0 a.jpg: box 1 has class 2; the dataset has 2 classes.",
            Pose.Check(Sample(new SampleTargets { Boxes = new BoundingBoxes([0, 0, 1, 1, 0, 0, 1, 1], [0, 2]) })));
        Assert.AreEqual("Sample #0 a.jpg has 2 keypoints per instance; the dataset names 3.",
            Pose.Check(Sample(new SampleTargets { Boxes = new BoundingBoxes([0, 0, 1, 1], [0]), Keypoints = new Keypoints(new float[6], 1, 2) })));
        Assert.AreEqual("Sample #0 a.jpg has keypoints for 2 instances and 1 boxes; instance i is the object of box i.",
            Pose.Check(Sample(new SampleTargets { Boxes = new BoundingBoxes([0, 0, 1, 1], [0]), Keypoints = new Keypoints(new float[18], 2, 3) })));
        Assert.AreEqual("Sample #0 a.jpg has targets of kind SemanticMask, Text; the dataset declares Boxes, Keypoints.",
            Pose.Check(Sample(new SampleTargets { SemanticMask = MaskSource.FromLabelMap(new byte[4], 2, 2), Text = "hi" })));

        var tagged = new TargetSchema(TargetKinds.MultiLabel | TargetKinds.Boxes | TargetKinds.InstanceMasks, ["a", "b"]);
        Assert.AreEqual("Sample #0 a.jpg: label 1 is class 5; the dataset has 2 classes.", tagged.Check(Sample(new SampleTargets { Labels = [0, 5] })));
        Assert.AreEqual("Sample #0 a.jpg has 1 instance masks and 0 boxes; mask i is the object of box i.",
            tagged.Check(Sample(new SampleTargets { InstanceMasks = [MaskSource.FromLabelMap(new byte[4], 2, 2)] })));
    }

    [TestMethod]
    public void Constructor_BadKindsOrPairs_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new TargetSchema(TargetKinds.InstanceMasks, []));
        Assert.AreEqual("Parameter \"kinds\" has InstanceMasks without Boxes: an instance mask belongs to a box. (Parameter 'kinds')", e.Message);
        var schema = new TargetSchema(TargetKinds.Keypoints, []) { KeypointNames = ["a", "b"], FlipPairs = [(0, 1), (1, 0)] };
        e = Assert.ThrowsExactly<ArgumentException>(() => schema.Check(Sample(new SampleTargets())));
        Assert.AreEqual("Flip pair (1, 0) must join two different keypoints of the 2 named, each in one pair only. (Parameter 'FlipPairs')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new TargetSchema(TargetKinds.Keypoints, []).Check(Sample(new SampleTargets())));
        Assert.AreEqual("A dataset with Keypoints must name them (KeypointNames). (Parameter 'KeypointNames')", e.Message);
    }

    [TestMethod]
    public void SampleSet_TargetSchema_ChecksEverySample()
    {
        SampleInfo[] samples = [new(0, "a.jpg", 0) { Targets = new SampleTargets { Boxes = new BoundingBoxes([0, 0, 1, 1], [3]) } }];
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SampleSet(["image"], samples) { TargetSchema = Pose });
        Assert.AreEqual("Sample #0 a.jpg: box 0 has class 3; the dataset has 2 classes. (Parameter 'TargetSchema')", e.Message);

        var set = new SampleSet(["image"], samples);
        Assert.AreEqual("Sample #0 a.jpg has targets but the set has no TargetSchema to say what they are; set SampleSet.TargetSchema.", set.TargetsProblem);
        Assert.IsNull(new SampleSet(["image"], samples) { TargetSchema = new TargetSchema(TargetKinds.Boxes, ["a", "b", "c", "d"]) }.TargetsProblem);
    }
}
