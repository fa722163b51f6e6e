using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Targets;

[TestClass]
public sealed class BoundingBoxesTests
{
    [TestMethod]
    public void Constructor_CopiesWhatItIsGiven()
    {
        float[] coordinates = [1, 2, 3, 4];
        int[] classes = [7];
        int[] crowd = [1];
        var boxes = new BoundingBoxes(coordinates, classes, BoxFormat.Xywh, new Dictionary<string, int[]> { ["iscrowd"] = crowd });
        coordinates[0] = 99;
        classes[0] = 99;
        crowd[0] = 99;

        Assert.AreEqual(1, boxes.Count);
        Assert.AreEqual(1f, boxes.Coordinates[0]);
        Assert.AreEqual(7, boxes.Classes[0]);
        Assert.AreEqual(1, boxes.Field("iscrowd")[0]);
        CollectionAssert.AreEqual(new[] { "iscrowd" }, boxes.FieldNames.ToArray());
        CollectionAssert.AreEqual(new[] { 1f, 2f, 4f, 6f }, boxes.ToXyxy(new Size(10, 10)));
    }

    [TestMethod]
    public void Constructor_NotFinite_NamesTheBox()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new BoundingBoxes([0, 0, 1, 1, 0, float.NaN, 1, 1], [0, 0]));
        Assert.AreEqual("Box 1 (0, NaN, 1, 1) has a coordinate that is not a finite number. (Parameter 'coordinates')", e.Message);
    }

    [TestMethod]
    public void Constructor_NegativeSize_NamesTheBoxAndFormat()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new BoundingBoxes([5, 5, 4, 9], [0]));
        Assert.AreEqual("Box 0 (5, 5, 4, 9, xyxy) has a negative width or height. (Parameter 'coordinates')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new BoundingBoxes([5, 5, 4, -1], [0], BoxFormat.Xywh));
        Assert.AreEqual("Box 0 (5, 5, 4, -1, xywh) has a negative width or height. (Parameter 'coordinates')", e.Message);
    }

    [TestMethod]
    public void Constructor_BadClassOrCounts_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new BoundingBoxes([0, 0, 1, 1], [-1]));
        Assert.AreEqual("Box 0 has class -1; classes are indices from 0. (Parameter 'classes')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new BoundingBoxes([0, 0, 1], [0]));
        Assert.AreEqual("Boxes take 4 coordinates each: 3 coordinates for 1 classes. (Parameter 'coordinates')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new BoundingBoxes([0, 0, 1, 1], [0], fields: new Dictionary<string, int[]> { ["id"] = [1, 2] }));
        Assert.AreEqual("Field 'id' has 2 values for 1 boxes. (Parameter 'fields')", e.Message);
    }

    [TestMethod]
    public void Field_Unknown_NamesTheFieldsThereAre()
    {
        var e = Assert.ThrowsExactly<KeyNotFoundException>(() => BoundingBoxes.Empty.Field("iscrowd").ToArray());
        Assert.AreEqual("The boxes have no field 'iscrowd'; they have [].", e.Message);
    }

    [TestMethod]
    public void Problem_BoxWhollyOutside_NamesIt_PartlyOutsideIsKept()
    {
        var size = new Size(10, 10);
        Assert.IsNull(new BoundingBoxes([0.9f, 0.9f, 0.2f, 0.2f], [1], BoxFormat.Xywh with { Normalized = true }).Problem(size));
        Assert.AreEqual("box 1 (1.1, 0, 0.1, 0.1, xywh-normalized) lies outside the 10x10 image",
            new BoundingBoxes([0, 0, 1, 1, 1.1f, 0, 0.1f, 0.1f], [0, 1], BoxFormat.Xywh with { Normalized = true }).Problem(size));
        Assert.IsNull(new BoundingBoxes([-5, -5, 3, 3], [0]).Problem(size));
        Assert.AreEqual("box 0 (0, -3, 2, -1, xyxy) lies outside the 10x10 image", new BoundingBoxes([0, -3, 2, -1], [0]).Problem(size));
    }
}
