using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// Huge and sparse files through the whole graph: a file above MaxFileBytes is skipped unread, a large file is
/// refused from its first bytes when they are not an acceptable image, and a buffer too large to pool is left to
/// the garbage collector. Sparse files (File.SetLength) make a 2 GiB file instant to write and cheap to hold.
/// </summary>
[TestClass]
public sealed class LargeFileTests
{
    private const long GiB = 1L << 30, MiB = 1L << 20;

    [TestMethod]
    public async Task Run_SparseFileAboveMaxFileBytes_SkippedUnreadNamingItsSizeAndTheOption()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string huge = Sparse(data, "b/huge.jpg", [0xFF, 0xD8, 0xFF, 0xE0], 2 * GiB + 1);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(), data.Root);

            SkippedSample skipped = AssertSkippedEveryEpoch(run, huge);
            Assert.AreEqual("read", skipped.Stage);
            Assert.AreEqual($"The file '{huge}' is 2147483649 bytes, above the limit of 268435456 bytes (MaxFileBytes): not read.", skipped.Reason);
            Assert.IsLessThanOrEqualTo(64 * 1024L, run.Pipeline.Buffers.LargestRental, "bytes rented at once: none for the huge file");
        });
    }

    [TestMethod]
    public async Task Run_FileAboveLoweredMaxFileBytesUnderFailFast_FaultsNamingTheFile()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // The good files are PNGs of a few kilobytes: a 100 000-byte limit passes them and refuses this one.
            string big = Sparse(data, "b/big.png", [0x89, 0x50, 0x4E, 0x47], 3 * MiB);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(ErrorPolicy.FailFast) with { MaxFileBytes = 100_000 }, data.Root);

            var failed = run.Error as SampleFailedException;
            Assert.IsNotNull(failed, $"expected a SampleFailedException, got {run.Error}");
            Assert.AreEqual(big, failed.Path);
            Assert.AreEqual("read", failed.Stage);
            StringAssert.Contains(failed.Message, $"The file '{big}' is 3145728 bytes, above the limit of 100000 bytes (MaxFileBytes)");
        });
    }

    [TestMethod]
    public async Task Run_LargeFileWithoutImageSignature_RefusedFromItsFirstBytes()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // Allowed by size (the limit raised to the largest), but 1.5 GiB of zeros is no image: only 64 KiB are read.
            string noise = Sparse(data, "b/zeros.jpg", [], 3 * GiB / 2);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small() with { MaxFileBytes = Array.MaxLength }, data.Root);

            SkippedSample skipped = AssertSkippedEveryEpoch(run, noise);
            Assert.AreEqual("read", skipped.Stage);
            Assert.AreEqual($"Cannot decode '{noise}' ({3 * GiB / 2} bytes): not a recognised image format (unknown signature)", skipped.Reason);
            Assert.AreEqual(64 * 1024L, run.Pipeline.Buffers.LargestRental, "bytes rented at once: the first 64 KiB");
        });
    }

    [TestMethod]
    public async Task Run_LargeJpegBombWithStrayByte_RefusedFromItsFirstBytes()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // A 20000×20000 header (with a stray byte after APP0) padded to 200 MiB: refused before the rest is read.
            byte[] bomb = EncodedImages.WithJunkAfterApp0(BadFileTests.Bomb("jpg", out _, out _), [0x42]);
            string path = Sparse(data, "b/bomb.jpg", bomb, 200 * MiB);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(), data.Root);

            SkippedSample skipped = AssertSkippedEveryEpoch(run, path);
            Assert.AreEqual("read", skipped.Stage);
            StringAssert.EndsWith(skipped.Reason, "the header declares 20000x20000 = 400000000 pixels, above the limit of 178956970 (MaxImagePixels)");
            Assert.AreEqual(64 * 1024L, run.Pipeline.Buffers.LargestRental, "bytes rented at once: the first 64 KiB");
        });
    }

    [TestMethod]
    public async Task Run_ImagePaddedAboveThePoolLimit_DecodedAndItsBufferNotPooled()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // A real PNG followed by 40 MiB of zeros (decoders stop at its end): read whole, decoded, and its buffer,
            // above BufferPool.MaxPooledLength, goes back to the garbage collector instead of the shared pool.
            using Mat image = TempDataset.Pattern(40, 30, seed: 31);
            Cv2.ImEncode(".png", image, out byte[] png);
            string path = Sparse(data, "b/padded.png", png, 40 * MiB);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(), data.Root);

            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.IsEmpty(run.Report.Skipped, string.Join(" | ", run.Report.Skipped));
            using Mat decoded = Cv2.ImRead(path, ImreadModes.Color);
            Assert.AreEqual(0, Pixels.MaxDifference(image, decoded), "OpenCV decodes the padded file");
            using Mat expected = Pixels.Expected(image, 16, 12);
            using Mat got = Pixels.FromRow(run.RowOf(path), 16, 12);
            Assert.AreEqual(0, Pixels.MaxDifference(expected, got));
            Assert.AreEqual(40 * MiB, run.Pipeline.Buffers.LargestRental);
            Assert.AreEqual((long)run.Report.Epochs, run.Pipeline.Buffers.Unpooled, "one unpooled buffer per epoch");
            Assert.AreEqual(0L, run.Pipeline.Buffers.Outstanding);
        });
    }

    /// <summary>Writes <paramref name="head"/> and extends the file to <paramref name="length"/> bytes without writing them (a sparse file).</summary>
    private static string Sparse(TempDataset data, string relativePath, byte[] head, long length)
    {
        string path = data.WriteBytes(relativePath, head);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(length);
        return path;
    }

    /// <summary>The run finished, accounted for every sample, and skipped <paramref name="path"/> (only) in every epoch; its epoch-0 entry.</summary>
    private static SkippedSample AssertSkippedEveryEpoch(FaultRun run, string path)
    {
        FaultHarness.AssertFinishedAndAccounted(run);
        Assert.HasCount(run.Report.Epochs, run.Report.Skipped, string.Join(" | ", run.Report.Skipped));
        Assert.IsTrue(run.Report.Skipped.All(s => s.Path == path), string.Join(" | ", run.Report.Skipped));
        Assert.AreEqual(0L, run.Pipeline.Buffers.Outstanding, "rented byte buffers");
        return run.SkippedOnce(path);
    }

    /// <summary>Three good 40×30 PNGs in class "a" and one in class "b".</summary>
    private static TempDataset Dataset()
    {
        var data = new TempDataset();
        for (int i = 0; i < 3; i++)
        {
            data.AddImage("a", $"good{i}.png", 40, 30, seed: i + 1);
        }

        data.AddImage("b", "good.png", 40, 30, seed: 9);
        return data;
    }
}
