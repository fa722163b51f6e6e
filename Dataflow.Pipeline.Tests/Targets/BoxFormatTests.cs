using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Targets;

[TestClass]
public sealed class BoxFormatTests
{
    private static readonly Size Image = new(200, 100);

    // One box, left 10, top 20, right 50, bottom 80, written in each format of a 200x100 image.
    public static IEnumerable<object[]> Formats =>
    [
        ["xyxy", new[] { 10f, 20f, 50f, 80f }],
        ["xywh", new[] { 10f, 20f, 40f, 60f }],
        ["cxcywh", new[] { 30f, 50f, 40f, 60f }],
        ["xyxy-normalized", new[] { 0.05f, 0.2f, 0.25f, 0.8f }],
        ["xywh-normalized", new[] { 0.05f, 0.2f, 0.2f, 0.6f }],
        ["cxcywh-normalized", new[] { 0.15f, 0.5f, 0.2f, 0.6f }],
    ];

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void ToXyxy_EachFormat_GivesTheSamePixels(string name, float[] box)
    {
        BoxFormat format = BoxFormat.Parse(name);
        var xyxy = new float[4];
        format.ToXyxy(box, xyxy, Image);
        CollectionAssert.AreEqual(new[] { 10f, 20f, 50f, 80f }, xyxy, new Tolerance(1e-4f));
    }

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void FromXyxy_EachFormat_InvertsToXyxy(string name, float[] box)
    {
        BoxFormat format = BoxFormat.Parse(name);
        var back = new float[4];
        format.FromXyxy([10f, 20f, 50f, 80f], back, Image);
        CollectionAssert.AreEqual(box, back, new Tolerance(1e-5f));
        Assert.AreEqual(name, format.ToString());
    }

    [TestMethod]
    public void ToXyxy_InPlaceOverManyBoxes_ConvertsEach()
    {
        float[] boxes = [0, 0, 4, 2, 10, 10, 1, 1];
        BoxFormat.Xywh.ToXyxy(boxes, boxes, Image);
        CollectionAssert.AreEqual(new[] { 0f, 0f, 4f, 2f, 10f, 10f, 11f, 11f }, boxes);
    }

    [TestMethod]
    public void Default_IsXyxyPixels()
    {
        Assert.AreEqual(BoxFormat.Xyxy, default(BoxFormat));
        Assert.AreEqual(new BoxFormat(BoxCoordinates.Cxcywh, true), BoxFormat.CxcywhNormalized);
        Assert.AreEqual(BoxFormat.Xywh, BoxFormat.Parse("XYWH"));
    }

    [TestMethod]
    public void Parse_UnknownName_NamesTheAllowedValues()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => BoxFormat.Parse("ltrb"));
        Assert.AreEqual("Parameter \"text\" must be one of xyxy, xywh, cxcywh, xyxy-normalized, xywh-normalized, cxcywh-normalized, was 'ltrb'. (Parameter 'text')", e.Message);
    }

    [TestMethod]
    public void ToXyxy_LengthsDisagree_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => BoxFormat.Xyxy.ToXyxy(new float[8], new float[4], Image));
        Assert.AreEqual("Boxes take 4 numbers each, in and out: was 8 in and 4 out.", e.Message);
    }

    private sealed class Tolerance(float epsilon) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= epsilon ? 0 : 1;
    }
}
