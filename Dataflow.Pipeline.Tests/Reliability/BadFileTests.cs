using System.Buffers.Binary;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// Every kind of bad or unusual image file, run through the whole graph: each one is decoded correctly,
/// or skipped with its path and reason in the report, or (fail-fast) faults the run naming the file.
/// Every run checks that the counts add up per epoch and that no Mat, buffer or tensor is left.
/// </summary>
[TestClass]
public sealed class BadFileTests
{
    private const int W = 16, H = 12;

    [TestMethod]
    public Task Run_ZeroByteFile_SkippedAsEmpty() => AssertSkippedAsync(d => BadFile(d, "empty"), "the file is empty");

    [TestMethod]
    public Task Run_TruncatedJpeg_SkippedForMissingEndMarker() => AssertSkippedAsync(d => BadFile(d, "truncated-jpeg"), "truncated JPEG (no end-of-image marker)");

    [TestMethod]
    public Task Run_TruncatedJpegWithAcceptTruncatedJpeg_DecodedWithGreyWhereDataIsMissing() => AssertDecodedAsync(
        d => BadFile(d, "truncated-jpeg"),
        (path, got) =>
        {
            // Target = stored size (64×48), so no resize: the first rows come from intact data and equal a
            // decode of the whole file; the last rows had no data left and are mid-grey.
            using Mat whole = TempDataset.Pattern(64, 48, seed: 12);
            Cv2.ImEncode(".jpg", whole, out byte[] complete, [(int)ImwriteFlags.JpegQuality, 95]);
            using Mat full = Cv2.ImDecode(complete, ImreadModes.Color);
            using Mat expected = Pixels.Expected(full, 64, 48);
            using Mat gotTop = got[new Rect(0, 0, 64, 8)], expectedTop = expected[new Rect(0, 0, 64, 8)];
            Assert.AreEqual(0, Pixels.MaxDifference(expectedTop, gotTop), "the intact top rows");
            using Mat gotBottom = got[new Rect(0, 40, 64, 8)];
            using Mat grey = new(8, 64, MatType.CV_8UC3, Scalar.All(128));
            Assert.AreEqual(0, Pixels.MaxDifference(grey, gotBottom), "the rows past the end of the data");
        },
        FaultHarness.Small(width: 64, height: 48, acceptTruncatedJpeg: true),
        goodWidth: 64,
        goodHeight: 48);

    [TestMethod]
    public Task Run_TruncatedPng_Skipped() => AssertSkippedAsync(d => BadFile(d, "truncated-png"), "OpenCV could not decode the Png data (corrupt or truncated)");

    [TestMethod]
    public Task Run_RandomBytesNamedJpg_SkippedAsUnknownFormat() => AssertSkippedAsync(d => BadFile(d, "random"), "not a recognised image format");

    [TestMethod]
    public Task Run_TextFileNamedPng_SkippedAsUnknownFormat() => AssertSkippedAsync(d => BadFile(d, "text"), "not a recognised image format");

    [TestMethod]
    public Task Run_PngNamedJpg_DecodedByContent() => AssertDecodedAsync(
        d =>
        {
            using Mat image = TempDataset.Pattern(40, 30, seed: 21);
            Cv2.ImEncode(".png", image, out byte[] png);
            return d.WriteBytes("b/really-a-png.jpg", png);
        },
        _ =>
        {
            using Mat image = TempDataset.Pattern(40, 30, seed: 21);
            return Pixels.Expected(image, W, H);
        },
        tolerance: 0);

    [TestMethod]
    public Task Run_OnePixelImage_DecodedToUniformImage() => AssertDecodedAsync(
        d =>
        {
            using var pixel = new Mat(1, 1, MatType.CV_8UC3, new Scalar(10, 120, 250));
            return d.Write("b", "one-pixel.png", pixel);
        },
        _ => new Mat(H, W, MatType.CV_8UC3, new Scalar(250, 120, 10)),
        tolerance: 0);

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Run_VeryLargeImage_DecodedWithBoundedSamplesInFlight(bool reducedDecode)
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // 12000×9000 (108 Mpx, 324 MB as BGR): under the default pixel limit, so it must decode.
            string path;
            using (var big = new Mat(9000, 12000, MatType.CV_8UC3, new Scalar(40, 90, 200)))
            {
                Cv2.Rectangle(big, new Rect(0, 0, 6000, 4500), new Scalar(250, 250, 250), -1);
                Cv2.Circle(big, new Point(9000, 6750), 2000, new Scalar(0, 0, 0), -1);
                path = data.Write("b", "huge.jpg", big, [(int)ImwriteFlags.JpegQuality, 90]);
            }

            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(epochs: 1) with { ReducedDecode = reducedDecode }, data.Root);
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.IsEmpty(run.Report.Skipped);

            // A full decode (324 MB) resized equals OpenCV's own; a reduced-resolution decode (1/8 here) resamples a
            // smaller intermediate, so it is close to, not equal to, that.
            using Mat full = Cv2.ImRead(path, ImreadModes.Color);
            using Mat expected = Pixels.Expected(full, W, H);
            using Mat got = Pixels.FromRow(run.RowOf(path), W, H);
            if (reducedDecode)
            {
                Assert.IsLessThanOrEqualTo(2.0, Pixels.MeanDifference(expected, got), "mean difference from a full decode");
            }
            else
            {
                Assert.AreEqual(0, Pixels.MaxDifference(expected, got), "largest difference from OpenCV's decode and resize");
            }

            // Memory is bounded by the blocks, not by the image: never more samples holding data than the graph allows.
            Assert.IsLessThanOrEqualTo((long)run.Pipeline.MaxSamplesInFlight, run.Pipeline.Images.PeakSamples, "samples holding data at once");
            Assert.IsLessThanOrEqualTo((long)run.Pipeline.MaxSamplesInFlight, run.Pipeline.Buffers.Peak, "byte buffers at once");
            Assert.IsLessThanOrEqualTo((long)run.Pipeline.MaxSamplesInFlight, run.Pipeline.Images.PeakMats, "Mats at once");
        });
    }

    [TestMethod]
    [DataRow("png")]
    [DataRow("jpg")]
    [DataRow("bmp")]
    [DataRow("ppm")]
    [DataRow("tif")]
    [DataRow("webp")]
    public Task Run_DecompressionBomb_RefusedAboveMaxImagePixels(string format) => AssertSkippedAsync(
        d => d.WriteBytes($"b/bomb.{format}", Bomb(format, out _, out _)),
        $"pixels, above the limit of 178956970 (MaxImagePixels)");

    [TestMethod]
    public Task Run_JpegBombWithStrayByteAfterApp0_RefusedAboveMaxImagePixels() => AssertSkippedAsync(
        // libjpeg skips the stray byte (with a warning) and would decode all 400 Mpx: the header reader must skip it too.
        d => d.WriteBytes("b/bomb-stray.jpg", EncodedImages.WithJunkAfterApp0(Bomb("jpg", out _, out _), [0x42])),
        "the header declares 20000x20000 = 400000000 pixels, above the limit of 178956970 (MaxImagePixels)");

    [TestMethod]
    public Task Run_JpegWithJunkBetweenSegments_DecodedAsOpenCvDecodesIt() => AssertDecodedAsync(
        d =>
        {
            using Mat image = TempDataset.Pattern(40, 30, seed: 14);
            Cv2.ImEncode(".jpg", image, out byte[] jpeg, [(int)ImwriteFlags.JpegQuality, 95]);
            return d.WriteBytes("b/junk.jpg", EncodedImages.WithJunkAfterApp0(jpeg, [0x42, 0x00, 0xFF, 0x00, 0x17]));
        },
        path =>
        {
            using Mat decoded = Cv2.ImRead(path, ImreadModes.Color);
            Assert.AreEqual(new Size(40, 30), decoded.Size(), "OpenCV's decode");
            return Pixels.Expected(decoded, W, H);
        },
        tolerance: 0);

    [TestMethod]
    public Task Run_JpegWhoseSizeCannotBeRead_RefusedNotDecoded() => AssertSkippedAsync(
        d =>
        {
            using Mat image = TempDataset.Pattern(40, 30, seed: 15);
            Cv2.ImEncode(".jpg", image, out byte[] jpeg);
            int sof = IndexOf(jpeg, [0xFF, 0xC0]);
            return d.WriteBytes("b/no-size.jpg", [.. jpeg[..(sof + 4)], 0xFF, 0xD9]);
        },
        "the Jpeg header's image size cannot be read, so it cannot be checked against the limit of 178956970 pixels (MaxImagePixels)");

    [TestMethod]
    public async Task Run_Os2Bitmap_DecodedToItsPixels()
    {
        // A 12-byte BITMAPCOREHEADER has 16-bit width and height: read as 32-bit fields, this 300×200 image looked
        // like 13 107 500 × 1 572 865 pixels and was refused as a bomb.
        const int w = 300, h = 200;
        static (byte B, byte G, byte R) Colour(int x, int y) => ((byte)(x * 255 / (w - 1)), (byte)(y * 255 / (h - 1)), (byte)((x / 20 + y / 20) % 2 * 200));
        using var written = new Mat(h, w, MatType.CV_8UC3);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                (byte b, byte g, byte r) = Colour(x, y);
                written.Set(y, x, new Vec3b(b, g, r));
            }
        }

        await AssertDecodedAsync(
            d => d.WriteBytes("b/os2.bmp", EncodedImages.Os2Bitmap(w, h, Colour)),
            path =>
            {
                // OpenCV decodes exactly the pixels written; the pipeline must give its resize of them.
                using Mat decoded = Cv2.ImRead(path, ImreadModes.Color);
                Assert.AreEqual(0, Pixels.MaxDifference(written, decoded), "OpenCV's decode of the OS/2 bitmap");
                return Pixels.Expected(written, W, H);
            },
            tolerance: 0);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public Task Run_FloatTiff_SkippedAsUnsupportedSampleType(int channels) => AssertSkippedAsync(
        d =>
        {
            using var image = new Mat(30, 40, MatType.CV_32FC(channels), Scalar.All(0.5));
            Assert.IsTrue(Cv2.ImEncode(".tif", image, out byte[] tiff), "OpenCV writes float TIFFs");
            return d.WriteBytes("b/float.tif", tiff);
        },
        "unsupported TIFF sample type: 32-bit floating-point samples");

    [TestMethod]
    public Task Run_SgiLogFloatTiff_SkippedAsUnsupportedSampleType() => AssertSkippedAsync(
        d =>
        {
            // A 3-channel float image as OpenCV writes it with SGILOG compression (cv2.imwrite's choice in some versions):
            // OpenCV's 8-bit decode of it succeeds, with tone-mapped colours.
            using var image = new Mat(30, 40, MatType.CV_32FC3);
            for (int y = 0; y < 30; y++)
            {
                for (int x = 0; x < 40; x++)
                {
                    image.Set(y, x, new Vec3f(x / 40f, y / 30f, 0.25f));
                }
            }

            string path = Path.Combine(d.Root, "b", "sgilog.tif");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Assert.IsTrue(Cv2.ImWrite(path, image, new ImageEncodingParam(ImwriteFlags.TiffCompression, 34676)), "OpenCV writes SGILOG TIFFs");
            using (Mat decoded = Cv2.ImRead(path, ImreadModes.Color))
            {
                Assert.IsFalse(decoded.Empty(), "OpenCV decodes it into an 8-bit image");
            }

            return path;
        },
        "unsupported TIFF sample type: SGILOG-encoded (LogLuv) floating-point samples (OpenCV tone-maps them into 8-bit images, " +
        "which changes their colours; convert the file to 8 or 16 bits per sample)");

    [TestMethod]
    public Task Run_ImageAboveLoweredMaxImagePixels_SkippedNamingTheOption() => AssertSkippedAsync(
        d => d.AddImage("b", "fifty.png", 50, 50, seed: 5),
        "the header declares 50x50 = 2500 pixels, above the limit of 2000 (MaxImagePixels)",
        FaultHarness.Small(maxImagePixels: 2000),
        goodSize: 40);

    [TestMethod]
    public async Task Run_SixteenBitPng_DecodedToTheHighByte()
    {
        // Every 16-bit sample is b × 257, whose high byte (and whose value scaled to 8 bits) is exactly b.
        using Mat expectedBgr = TempDataset.Pattern(W, H, seed: 3);
        await AssertDecodedAsync(
            d =>
            {
                using var wide = new Mat();
                expectedBgr.ConvertTo(wide, MatType.CV_16UC3, 257);
                return d.Write("b", "sixteen.png", wide);
            },
            _ => Pixels.Expected(expectedBgr, W, H),
            tolerance: 0);
    }

    [TestMethod]
    public async Task Run_AlphaPng_DecodedWithAlphaDroppedNotComposited()
    {
        using Mat bgr = TempDataset.Pattern(W, H, seed: 4);
        await AssertDecodedAsync(
            d =>
            {
                // Alpha from fully transparent to opaque: the colour channels must come out unchanged.
                using var alpha = new Mat(H, W, MatType.CV_8UC1);
                for (int y = 0; y < H; y++)
                {
                    for (int x = 0; x < W; x++)
                    {
                        alpha.Set(y, x, (byte)((x + y) % 3 * 127));
                    }
                }

                using var bgra = new Mat();
                Cv2.Merge([.. Cv2.Split(bgr), alpha], bgra);
                Assert.AreEqual(4, bgra.Channels());
                return d.Write("b", "alpha.png", bgra);
            },
            _ => Pixels.Expected(bgr, W, H),
            tolerance: 0);
    }

    [TestMethod]
    public Task Run_PalettePng_DecodedToThePaletteColours()
    {
        // A 2-bit palette image: four RGB entries, index = (x / 4 + y) % 4.
        byte[][] palette = [[255, 0, 0], [0, 200, 0], [10, 20, 250], [128, 128, 128]];
        int Index(int x, int y) => (x / 4 + y) % 4;
        return AssertDecodedAsync(
            d =>
            {
                var rows = new byte[H * (W * 2 / 8)];
                for (int y = 0; y < H; y++)
                {
                    for (int x = 0; x < W; x++)
                    {
                        rows[y * (W / 4) + x / 4] |= (byte)(Index(x, y) << (6 - 2 * (x % 4)));
                    }
                }

                byte[] png = EncodedImages.Png(W, H, 2, EncodedImages.Palette, rows, [.. palette.SelectMany(p => p)]);
                return d.WriteBytes("b/palette.png", png);
            },
            _ =>
            {
                var rgb = new Mat(H, W, MatType.CV_8UC3);
                for (int y = 0; y < H; y++)
                {
                    for (int x = 0; x < W; x++)
                    {
                        byte[] p = palette[Index(x, y)];
                        rgb.Set(y, x, new Vec3b(p[0], p[1], p[2]));
                    }
                }

                return rgb;
            },
            tolerance: 0);
    }

    [TestMethod]
    public Task Run_CmykJpeg_DecodedToTheInkColours()
    {
        // Adobe CMYK is stored inverted (255 = no ink): red = C × K / 255, green = M × K / 255, blue = Y × K / 255.
        (byte C, byte M, byte Y, byte K)[] blocks = [(255, 255, 255, 255), (255, 0, 128, 200)];
        return AssertDecodedAsync(
            d => d.WriteBytes("b/cmyk.jpg", EncodedImages.CmykJpeg(blocks)),
            _ =>
            {
                var rgb = new Mat(8, 16, MatType.CV_8UC3);
                for (int x = 0; x < 16; x++)
                {
                    var (c, m, y, k) = blocks[x / 8];
                    var colour = new Vec3b((byte)Math.Round(c * k / 255.0), (byte)Math.Round(m * k / 255.0), (byte)Math.Round(y * k / 255.0));
                    for (int row = 0; row < 8; row++)
                    {
                        rgb.Set(row, x, colour);
                    }
                }

                return rgb;
            },
            tolerance: 2,
            FaultHarness.Small(width: 16, height: 8),
            goodWidth: 16,
            goodHeight: 8);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public Task Run_ExifRotatedJpeg_OrientationFollowsHonorExifOrientation(bool honor)
    {
        // Stored 24×12; EXIF orientation 6 says "rotate 90° clockwise to display", giving 12×24.
        byte[] stored;
        using (Mat image = TempDataset.Pattern(24, 12, seed: 8))
        {
            Cv2.ImEncode(".jpg", image, out stored, [(int)ImwriteFlags.JpegQuality, 95]);
        }

        (int w, int h) = honor ? (12, 24) : (24, 12);
        return AssertDecodedAsync(
            d => d.WriteBytes("b/rotated.jpg", EncodedImages.WithExifOrientation(stored, 6)),
            _ =>
            {
                using Mat decoded = Cv2.ImDecode(stored, ImreadModes.Color | ImreadModes.IgnoreOrientation);
                using var shown = new Mat();
                if (honor)
                {
                    Cv2.Rotate(decoded, shown, RotateFlags.Rotate90Clockwise);
                }
                else
                {
                    decoded.CopyTo(shown);
                }

                return Pixels.Expected(shown, w, h);
            },
            tolerance: 0,
            FaultHarness.Small(width: w, height: h, honorExifOrientation: honor),
            goodWidth: w,
            goodHeight: h);
    }

    [TestMethod]
    public Task Run_LargeExifRotatedJpeg_ReducedDecodeStillRotated()
    {
        // Stored 480×240, shown 240×480 (orientation 6); a 30×60 target lets libjpeg decode at 1/8 scale.
        byte[] stored;
        using (var image = new Mat(240, 480, MatType.CV_8UC3, new Scalar(200, 30, 30)))
        {
            Cv2.Rectangle(image, new Rect(0, 0, 120, 240), new Scalar(20, 220, 20), -1);
            Cv2.ImEncode(".jpg", image, out stored, [(int)ImwriteFlags.JpegQuality, 95]);
        }

        return AssertDecodedAsync(
            d => d.WriteBytes("b/rotated-large.jpg", EncodedImages.WithExifOrientation(stored, 6)),
            (_, got) =>
            {
                using Mat decoded = Cv2.ImDecode(stored, ImreadModes.Color | ImreadModes.IgnoreOrientation);
                using var shown = new Mat();
                Cv2.Rotate(decoded, shown, RotateFlags.Rotate90Clockwise);
                using Mat expected = Pixels.Expected(shown, 30, 60);
                Assert.IsLessThanOrEqualTo(3.0, Pixels.MeanDifference(expected, got), "mean difference from the rotated full decode");
            },
            FaultHarness.Small(width: 30, height: 60),
            goodWidth: 30,
            goodHeight: 60);
    }

    [TestMethod]
    public async Task Run_SeveralBadFilesShuffledWithDropLast_EveryEpochAccountsForEveryFile()
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // 4 good and 5 bad files, batches of 4, the short last batch dropped, a new order each epoch: a bad
            // file lands in a batch (skipped) or in the dropped tail (never read) depending on the epoch.
            string[] bad = [.. new[] { "empty", "random", "text", "bomb", "truncated-jpeg" }.Select(kind => BadFile(data, kind))];
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(epochs: 6) with { Shuffle = true, DropLast = true, Seed = 3 }, data.Root);
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.AreEqual(6L, run.Report.DroppedLast, "one sample dropped per epoch (9 = 2 × 4 + 1)");
            Assert.IsLessThan(6 * bad.Length, run.Report.Skipped.Count, "in some epoch a bad file was the dropped one, so it was not read");
            Assert.IsTrue(run.Report.Skipped.All(s => bad.Contains(s.Path)), string.Join(" | ", run.Report.Skipped));
            Assert.IsFalse(run.Batches.Any(b => b.Paths.Intersect(bad).Any()), "a bad file reached a batch");
            Assert.AreEqual(6L * 8 - run.Report.Skipped.Count, run.Report.Batched);
        });
    }

    [TestMethod]
    [DataRow("empty")]
    [DataRow("truncated-jpeg")]
    [DataRow("truncated-png")]
    [DataRow("random")]
    [DataRow("text")]
    [DataRow("bomb")]
    public async Task Run_BadFileUnderFailFast_FaultsWithTheFileNamed(string kind)
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string bad = BadFile(data, kind);
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(ErrorPolicy.FailFast), data.Root);

            // Completion carries the exception itself, not an AggregateException or a cancellation.
            var failed = run.Error as SampleFailedException;
            Assert.IsNotNull(failed, $"expected a SampleFailedException, got {run.Error}");
            Assert.AreEqual(bad, failed.Path);
            Assert.AreEqual("decode", failed.Stage);
            Assert.Contains(bad, failed.Message);
            Assert.IsEmpty(run.Report.Skipped);
        });
    }

    /// <summary>Writes a bad file of the given kind into class "b" and returns its path.</summary>
    internal static string BadFile(TempDataset data, string kind)
    {
        switch (kind)
        {
            case "empty":
                return data.WriteBytes("b/empty.jpg", []);
            case "random":
                var random = new byte[4096];
                new Random(7).NextBytes(random);
                random[0] = 0x42; // Not 0xFF: a seed that happened to start with a JPEG marker would test something else.
                return data.WriteBytes("b/noise.jpg", random);
            case "text":
                return data.WriteBytes("b/notes.png", "This is not an image, whatever its name says.\n"u8.ToArray());
            case "bomb":
                return data.WriteBytes("b/bomb.png", Bomb("png", out _, out _));
            case "truncated-jpeg":
            {
                using Mat image = TempDataset.Pattern(64, 48, seed: 12);
                Cv2.ImEncode(".jpg", image, out byte[] jpeg, [(int)ImwriteFlags.JpegQuality, 95]);
                return data.WriteBytes("b/truncated.jpg", jpeg[..HalfwayIntoData(jpeg, [0xFF, 0xDA])]);
            }

            case "truncated-png":
            {
                using Mat image = TempDataset.Pattern(64, 48, seed: 13);
                Cv2.ImEncode(".png", image, out byte[] png);
                return data.WriteBytes("b/truncated.png", png[..HalfwayIntoData(png, "IDAT"u8)]);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown bad-file kind");
        }
    }

    /// <summary>
    /// A small file in <paramref name="format"/> whose header declares 20000×20000 pixels (16383×16383 for WebP,
    /// its maximum): above the default MaxImagePixels, yet below OpenCV's own limit of 2^30, so a decoder that
    /// trusted the header would allocate over a gigabyte before finding the data missing.
    /// </summary>
    internal static byte[] Bomb(string format, out int width, out int height)
    {
        (width, height) = format == "webp" ? (16383, 16383) : (20000, 20000);
        using Mat tiny = TempDataset.Pattern(8, 8, seed: 1);
        switch (format)
        {
            case "png":
                return EncodedImages.PngBomb(width, height);
            case "jpg":
            {
                Cv2.ImEncode(".jpg", tiny, out byte[] jpeg);
                int sof = IndexOf(jpeg, [0xFF, 0xC0]);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), (ushort)width);
                return jpeg;
            }

            case "bmp":
            {
                Cv2.ImEncode(".bmp", tiny, out byte[] bmp);
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
                return bmp;
            }

            case "ppm":
                return [.. System.Text.Encoding.ASCII.GetBytes($"P6\n# a comment\n{width} {height}\n255\n"), .. new byte[192]];
            case "tif":
                return TiffHeaderOnly(width, height);
            case "webp":
            {
                Cv2.ImEncode(".webp", tiny, out byte[] webp, [(int)ImwriteFlags.WebPQuality, 101]);
                // Lossless WebP ("VP8L"): 14-bit width-1 and height-1 packed after the 0x2F signature byte.
                Assert.IsTrue(webp.AsSpan(12, 4).SequenceEqual("VP8L"u8), "expected a lossless WebP");
                uint bits = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(21));
                bits = (bits & 0xF000_0000u) | (uint)(width - 1) | ((uint)(height - 1) << 14);
                BinaryPrimitives.WriteUInt32LittleEndian(webp.AsSpan(21), bits);
                return webp;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "unknown bomb format");
        }
    }

    /// <summary>A little-endian TIFF with one 8-bit grey strip of 64 bytes whose IFD declares the given size.</summary>
    private static byte[] TiffHeaderOnly(int width, int height)
    {
        (ushort Tag, ushort Type, uint Value)[] entries =
        [
            (256, 4, (uint)width), // ImageWidth, LONG
            (257, 4, (uint)height), // ImageLength, LONG
            (258, 3, 8), // BitsPerSample
            (259, 3, 1), // Compression: none
            (262, 3, 1), // Photometric: black is zero
            (273, 4, 0), // StripOffsets, patched below
            (277, 3, 1), // SamplesPerPixel
            (278, 4, (uint)height), // RowsPerStrip
            (279, 4, 64), // StripByteCounts
        ];
        int ifdLength = 2 + 12 * entries.Length + 4;
        var tiff = new byte[8 + ifdLength + 64];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), (ushort)entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            Span<byte> e = tiff.AsSpan(10 + 12 * i, 12);
            uint value = entries[i].Tag == 273 ? (uint)(8 + ifdLength) : entries[i].Value;
            BinaryPrimitives.WriteUInt16LittleEndian(e, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 1);
            if (entries[i].Type == 3)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(e[8..], value);
            }
        }

        return tiff;
    }

    private static int HalfwayIntoData(byte[] encoded, ReadOnlySpan<byte> dataMarker)
    {
        int start = IndexOf(encoded, dataMarker);
        return start + (encoded.Length - start) / 2;
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> marker)
    {
        int i = data.AsSpan().IndexOf(marker);
        Assert.IsGreaterThanOrEqualTo(0, i, "marker not found in the encoded image");
        return i;
    }

    /// <summary>Three good images in class "a" and one in class "b" (where each test adds its case), all 40×30 unless said.</summary>
    private static TempDataset Dataset(int goodWidth = 40, int goodHeight = 30)
    {
        var data = new TempDataset();
        for (int i = 0; i < 3; i++)
        {
            data.AddImage("a", $"good{i}.png", goodWidth, goodHeight, seed: i + 1);
        }

        data.AddImage("b", "good.png", goodWidth, goodHeight, seed: 9);
        return data;
    }

    private static async Task AssertSkippedAsync(Func<TempDataset, string> addBadFile, string reason, PipelineOptions? options = null, int goodSize = 40)
    {
        using var data = Dataset(goodSize, goodSize * 3 / 4);
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string bad = addBadFile(data);
            FaultRun run = await FaultHarness.RunAsync(options ?? FaultHarness.Small(), data.Root);
            FaultHarness.AssertFinishedAndAccounted(run);

            // Skipped in every epoch, with its path and the reason; every other file reached its batch.
            Assert.HasCount(run.Report.Epochs, run.Report.Skipped, string.Join(" | ", run.Report.Skipped));
            SkippedSample skipped = run.SkippedOnce(bad);
            Assert.AreEqual("decode", skipped.Stage);
            Assert.Contains(reason, skipped.Reason);
            Assert.AreEqual((long)(run.Report.Selected - 1) * run.Report.Epochs, run.Report.Batched);
            Assert.IsFalse(run.Batches.Any(b => b.Paths.Contains(bad)), "the bad file reached a batch");
        });
    }

    private static Task AssertDecodedAsync(Func<TempDataset, string> addFile, Func<string, Mat> expected, double tolerance,
        PipelineOptions? options = null, int goodWidth = 40, int goodHeight = 30) => AssertDecodedAsync(
        addFile,
        (path, got) =>
        {
            using Mat want = expected(path);
            Assert.IsLessThanOrEqualTo(tolerance, Pixels.MaxDifference(want, got), $"largest pixel difference for {path}");
        },
        options,
        goodWidth,
        goodHeight);

    /// <summary>Runs a dataset with the file <paramref name="addFile"/> writes; it must reach its batch, and <paramref name="check"/> gets its pixels.</summary>
    private static async Task AssertDecodedAsync(Func<TempDataset, string> addFile, Action<string, Mat> check,
        PipelineOptions? options, int goodWidth, int goodHeight)
    {
        using var data = Dataset(goodWidth, goodHeight);
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string path = addFile(data);
            PipelineOptions used = options ?? FaultHarness.Small();
            FaultRun run = await FaultHarness.RunAsync(used, data.Root);
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.IsEmpty(run.Report.Skipped, string.Join(" | ", run.Report.Skipped));
            using Mat got = Pixels.FromRow(run.RowOf(path), used.Width, used.Height);
            check(path, got);
        });
    }
}
