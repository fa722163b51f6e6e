using System.Buffers.Binary;
using System.IO.Compression;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Sources.Segmentation;

[TestClass]
public sealed class SegmentationSampleSourceTests
{
    private static readonly string[] Classes = ["background", "cat", "dog"];

    [TestMethod]
    public async Task Run_GrayAndPaletteMasks_BatchCarriesTheirIndices()
    {
        using var data = new TempDataset();
        string a = data.WriteImage("images/a.png", 8, 6, 1);
        string b = data.WriteImage("images/b.jpg", 8, 6, 2);
        byte[] grayLabels = Labels(8, 6, (x, y) => x < 4 ? 0 : y < 3 ? 1 : 255);
        using (var gray = new Mat(6, 8, MatType.CV_8UC1))
        {
            grayLabels.CopyTo(gray.AsSpan<byte>());
            data.Write("masks", "a.png", gray);
        }

        byte[] paletteLabels = Labels(8, 6, (x, y) => (x + y) % 3);
        string palette = data.WriteBytes("masks/b.png", PalettePng(8, 6, paletteLabels));
        // The file is a real palette PNG: OpenCV's own decoder expands it to the palette's colours.
        using (Mat colours = Cv2.ImRead(palette, ImreadModes.Color))
        {
            for (int i = 0; i < paletteLabels.Length; i++)
            {
                Assert.AreEqual(new Vec3b(0, (byte)(100 * paletteLabels[i]), 50), colours.At<Vec3b>(i / 8, i % 8));
            }
        }

        var options = new PipelineOptions { Width = 8, Height = 6, BatchSize = 2, Shuffle = false, ShuffleWithinBatch = false, Normalization = NormalizationOptions.None };
        var batches = new List<Batch>();
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(new SegmentationSampleSource(Classes)).Build(batches.Add);
        pipeline.Post(data.Root);
        pipeline.Complete();
        await pipeline.Completion;

        Batch batch = batches.Single();
        CollectionAssert.AreEqual(new[] { a, b }, batch.Paths);
        CollectionAssert.AreEqual(grayLabels, batch.Targets!.RowMask(0).ToArray());
        CollectionAssert.AreEqual(paletteLabels, batch.Targets.RowMask(1).ToArray());
    }

    [TestMethod]
    public async Task Discover_UnpairedFiles_NameEach()
    {
        using var data = new TempDataset();
        string a = data.WriteImage("images/train/a.png", 8, 6, 1);
        data.WriteImage("images/train/b.png", 8, 6, 2);
        data.WriteBytes("masks/train/b.png", PalettePng(1, 1, [0]));
        data.WriteBytes("masks/train/c.png", PalettePng(1, 1, [0]));

        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => new SegmentationSampleSource(Classes, "train").DiscoverAsync([data.Root], CancellationToken.None));
        string masks = Path.Combine(data.Root, "masks", "train");
        Assert.AreEqual($"Segmentation dataset '{data.Root}': 2 problems: image '{a}' has no mask '{Path.Combine(masks, "a.png")}'; "
            + $"mask '{Path.Combine(masks, "c.png")}' has no image '{Path.Combine(data.Root, "images", "train", "c")}.*'.", e.Message);
    }

    [TestMethod]
    public async Task Render_ValueBeyondTheClassesOrAnotherSize_FailsNamingTheMask()
    {
        using var data = new TempDataset();
        data.WriteImage("images/a.png", 4, 2, 1);
        string mask = data.WriteBytes("masks/a.png", PalettePng(4, 2, [0, 1, 2, 3, 0, 0, 0, 255]));
        SampleSet set = await new SegmentationSampleSource(Classes).DiscoverAsync([data.Root], CancellationToken.None);
        IMaskSource source = set.Samples[0].Targets!.SemanticMask!;

        var e = Assert.ThrowsExactly<InvalidDataException>(() => source.Render(new Size(4, 2)));
        Assert.AreEqual($"Mask '{mask}' has the value 3 at (3, 0); the dataset has 3 classes (0 to 2) and 255 for ignore.", e.Message);
        e = Assert.ThrowsExactly<InvalidDataException>(() => source.Render(new Size(4, 3)));
        Assert.AreEqual($"Mask '{mask}' is 4x2; its image is 4x3.", e.Message);

        using (var colour = new Mat(2, 4, MatType.CV_8UC3, Scalar.All(1)))
        {
            data.Write("masks", "a.png", colour);
        }

        e = Assert.ThrowsExactly<InvalidDataException>(() => source.Render(new Size(4, 2)));
        Assert.AreEqual($"Mask '{mask}' is a PNG of colour type 2, depth 8; a label map is an 8-bit grayscale PNG or a non-interlaced palette PNG.", e.Message);
    }

    private static byte[] Labels(int width, int height, Func<int, int, int> label)
    {
        var labels = new byte[width * height];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = (byte)label(i % width, i / width);
        }

        return labels;
    }

    /// <summary>An 8-bit palette PNG of <paramref name="indices"/> (entry i the colour (50, 100 i, 0) RGB), odd rows with the Up filter.</summary>
    private static byte[] PalettePng(int width, int height, byte[] indices)
    {
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            bool up = y % 2 == 1;
            raw.WriteByte(up ? (byte)2 : (byte)0);
            for (int x = 0; x < width; x++)
            {
                raw.WriteByte(up ? (byte)(indices[y * width + x] - indices[(y - 1) * width + x]) : indices[y * width + x]);
            }
        }

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.WriteTo(zlib);
        }

        var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9]) = (8, 3);
        Chunk(png, "IHDR", header);
        Chunk(png, "PLTE", [.. Enumerable.Range(0, 256).SelectMany(i => new[] { (byte)50, (byte)(100 * i), (byte)0 })]);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(MemoryStream png, string type, byte[] content)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, content.Length);
        png.Write(length);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. content];
        png.Write(typed);
        png.Write(System.IO.Hashing.Crc32.Hash(typed).Reverse().ToArray());
    }
}
