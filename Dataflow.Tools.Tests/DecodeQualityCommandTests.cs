using System.Text.Json;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Tools.Tests;

[TestClass]
public sealed class DecodeQualityCommandTests
{
    [TestMethod]
    public async Task DecodeQuality_Json_FiguresEqualOpenCvsOwnDecodesAndResizes()
    {
        using var data = new TempDataset();
        string large = data.AddImage("a", "large.jpg", 800, 600, seed: 1, [(int)ImwriteFlags.JpegQuality, 90]);
        string small = data.AddImage("b", "small.jpg", 50, 40, seed: 2);
        data.AddImage("b", "not-a-jpeg.png", 800, 600, seed: 3);

        JsonElement result = (await ToolRun.RunAsync("decode-quality", "--data", data.Root, "--size", "64", "--count", "10", "--json"))
            .Json().GetProperty("result");

        Assert.AreEqual(2, result.GetProperty("images").GetInt32());
        Assert.AreEqual(2, result.GetProperty("jpegsFound").GetInt32());
        // 800×600 at 64: 1/8 (100×75) covers the target in both orientations; 50×40 is decoded whole.
        Assert.AreEqual(1, result.GetProperty("reductions").GetProperty("8").GetInt32());
        Assert.AreEqual(1, result.GetProperty("reductions").GetProperty("1").GetInt32());

        // The same figures from OpenCV alone: a 1/8 decode or a full decode, bilinear; the reference is area.
        using Mat largeReduced = Resized(large, ImreadModes.ReducedColor8, InterpolationFlags.Linear);
        using Mat largeFull = Resized(large, ImreadModes.Color, InterpolationFlags.Linear);
        using Mat largeArea = Resized(large, ImreadModes.Color, InterpolationFlags.Area);
        using Mat smallFull = Resized(small, ImreadModes.Color, InterpolationFlags.Linear);
        using Mat smallArea = Resized(small, ImreadModes.Color, InterpolationFlags.Area);
        double values = 2.0 * 64 * 64 * 3;
        Assert.AreEqual(Cv2.Norm(largeReduced, largeFull, NormTypes.INF), result.GetProperty("maxDifference").GetDouble());
        Assert.AreEqual(Cv2.Norm(largeReduced, largeFull, NormTypes.L1) / values, result.GetProperty("meanDifference").GetDouble(), 1e-9);
        double smallSse = Cv2.Norm(smallFull, smallArea, NormTypes.L2SQR);
        Assert.AreEqual(Psnr((Cv2.Norm(largeReduced, largeArea, NormTypes.L2SQR) + smallSse) / values), result.GetProperty("reducedPsnr").GetDouble(), 1e-9);
        Assert.AreEqual(Psnr((Cv2.Norm(largeFull, largeArea, NormTypes.L2SQR) + smallSse) / values), result.GetProperty("fullPsnr").GetDouble(), 1e-9);
        Assert.AreEqual(Psnr(Cv2.Norm(largeReduced, largeArea, NormTypes.L2SQR) / (values / 2)), result.GetProperty("reducedOnlyPsnr").GetDouble(), 1e-9);
        Assert.AreEqual(Psnr(Cv2.Norm(largeFull, largeArea, NormTypes.L2SQR) / (values / 2)), result.GetProperty("fullOnlyPsnr").GetDouble(), 1e-9);
    }

    [TestMethod]
    public async Task DecodeQuality_HumanOutput_NamesEveryMeasure()
    {
        using var data = new TempDataset();
        data.AddImage("a", "x.jpg", 300, 200, seed: 4);

        ToolRun run = await ToolRun.RunAsync("decode-quality", "--data", data.Root, "--size", "32");

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("1 of 1 JPEGs at 32x32", run.Output);
        Assert.Contains("PSNR of reduced + bilinear against full + area", run.Output);
    }

    [TestMethod]
    public async Task DecodeQuality_NoJpegOrBadSize_OneLineUsageError()
    {
        using var data = new TempDataset();
        data.AddImage("a", "x.png", 30, 20, seed: 5);

        (await ToolRun.RunAsync("decode-quality", "--data", data.Root)).AssertOneLineError("holds no JPEG files", 2);
        (await ToolRun.RunAsync("decode-quality", "--data", data.Root, "--size", "0")).AssertOneLineError("--size must be between 1 and 4096, was 0.", 2);
    }

    private static Mat Resized(string path, ImreadModes mode, InterpolationFlags interpolation)
    {
        using Mat decoded = Cv2.ImRead(path, mode);
        var resized = new Mat();
        Cv2.Resize(decoded, resized, new Size(64, 64), 0, 0, interpolation);
        return resized;
    }

    private static double Psnr(double mse) => 10 * Math.Log10(255.0 * 255.0 / mse);
}
