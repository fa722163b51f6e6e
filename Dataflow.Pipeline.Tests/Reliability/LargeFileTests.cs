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
    public Task Run_SparseFileAboveMaxFileBytes_SkippedUnreadNamingItsSizeAndTheOption() => AssertSkippedAtReadAsync(
        d => Sparse(d, "b/huge.jpg", [0xFF, 0xD8, 0xFF, 0xE0], 2 * GiB + 1),
        FaultHarness.Small(),
        path => $"The file '{path}' is 2147483649 bytes, above the limit of 268435456 bytes (MaxFileBytes): not read.",
        largestRental: 16 * 1024); // the good PNGs' buffers: nothing is rented for the huge file

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
    public Task Run_LargeFileWithoutImageSignature_RefusedFromItsFirstBytes() => AssertSkippedAtReadAsync(
        // Allowed by size (the limit raised to the largest), but 1.5 GiB of zeros is no image: only 64 KiB are read.
        d => Sparse(d, "b/zeros.jpg", [], 3 * GiB / 2),
        FaultHarness.Small() with { MaxFileBytes = Array.MaxLength },
        path => $"Cannot decode '{path}' ({3 * GiB / 2} bytes): not a recognised image format (unknown signature)",
        largestRental: 64 * 1024);

    [TestMethod]
    public Task Run_LargeJpegBombWithStrayByte_RefusedFromItsFirstBytes() => AssertSkippedAtReadAsync(
        // A 20000×20000 header (with a stray byte after APP0) padded to 200 MiB: refused before the rest is read.
        d => Sparse(d, "b/bomb.jpg", EncodedImages.WithJunkAfterApp0(BadFileTests.Bomb("jpg", out _, out _), [0x42]), 200 * MiB),
        FaultHarness.Small(),
        path => $"Cannot decode '{path}' ({200 * MiB} bytes): the header declares 20000x20000 = 400000000 pixels, above the limit of 178956970 (MaxImagePixels)",
        largestRental: 64 * 1024);

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

    /// <summary>
    /// Runs a dataset with the file <paramref name="addFile"/> writes: the run finishes and accounts for every sample,
    /// the file (only) is skipped at read in every epoch with the reason given, no buffer is left rented and none
    /// larger than <paramref name="largestRental"/> bytes was ever rented.
    /// </summary>
    private static async Task AssertSkippedAtReadAsync(Func<TempDataset, string> addFile, PipelineOptions options, Func<string, string> reason, long largestRental)
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string path = addFile(data);
            FaultRun run = await FaultHarness.RunAsync(options, data.Root);

            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.HasCount(run.Report.Epochs, run.Report.Skipped, string.Join(" | ", run.Report.Skipped));
            SkippedSample skipped = run.SkippedOnce(path);
            Assert.AreEqual("read", skipped.Stage);
            Assert.AreEqual(reason(path), skipped.Reason);
            Assert.AreEqual(0L, run.Pipeline.Buffers.Outstanding, "rented byte buffers");
            Assert.IsLessThanOrEqualTo(largestRental, run.Pipeline.Buffers.LargestRental, "the largest buffer rented");
        });
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
