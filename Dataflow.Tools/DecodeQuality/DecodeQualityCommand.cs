using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Output;
using OpenCvSharp;
using Spectre.Console;

namespace Dataflow.Tools.DecodeQuality;

/// <summary>
/// <c>decode-quality</c>: what reduced-resolution JPEG decoding does to the pixels. For JPEGs of a dataset it
/// compares, at a square target size, the pipeline's reduced decode + bilinear resize with a full decode + the
/// same resize, and both with an anti-aliased reference (full decode + area resize).
/// </summary>
public static class DecodeQualityCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var data = new Option<string>("--data")
        {
            Description = "Dataset root (its JPEGs are found in every sub-folder).",
            HelpName = "DIR",
            Required = true,
        };
        var size = new Option<int>("--size")
        {
            Description = "Target width and height.",
            DefaultValueFactory = _ => 224,
        }.InRange(1, 4096);
        var count = new Option<int>("--count")
        {
            Description = "How many JPEGs to measure, spread evenly over the dataset's sorted file list.",
            DefaultValueFactory = _ => 60,
        }.InRange(1, 100_000);
        var json = JsonOption.Create();
        var command = new Command("decode-quality", "Measure reduced-resolution JPEG decoding: reduced + bilinear vs full + bilinear, and the PSNR of each against full + area.")
        {
            data, size, count, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            string root = FolderOption.Require(parse.GetValue(data)!, "--data");
            DecodeQualityResult result = Measure(root, parse.GetValue(size), parse.GetValue(count), cancellationToken);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new { Command = "decode-quality", Dataset = root, Result = result });
            }
            else
            {
                Write(environment.Console, root, result);
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>Measures up to <paramref name="count"/> JPEGs under <paramref name="root"/> at <paramref name="size"/>×<paramref name="size"/>.</summary>
    /// <exception cref="UsageException">The folder holds no JPEG.</exception>
    public static DecodeQualityResult Measure(string root, int size, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        string[] jpegs = [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(IsJpeg)
            .Order(CodePointComparer.Instance)];
        if (jpegs.Length == 0)
        {
            throw new UsageException($"--data: the folder '{root}' holds no JPEG files.");
        }

        // The pipeline's own decoder both ways (BGR, stretched, bilinear), so the figures are what a run produces.
        var reducedDecoder = new ImageDecoder(size, size, ColorMode.Bgr, ResizeMode.Stretch, Interpolation.Bilinear, reducedDecode: true);
        var fullDecoder = new ImageDecoder(size, size, ColorMode.Bgr, ResizeMode.Stretch, Interpolation.Bilinear, reducedDecode: false);
        int n = Math.Min(count, jpegs.Length);
        var reductions = new SortedDictionary<int, int>();
        double maxDifference = 0, sumDifference = 0, reducedSse = 0, fullSse = 0, reducedOnlySse = 0, fullOnlySse = 0;
        int reducedImages = 0;
        for (int i = 0; i < n; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = jpegs[(int)((long)i * jpegs.Length / n)];
            byte[] bytes = File.ReadAllBytes(path);
            ImageHeader header = ImageHeader.Read(bytes);
            int reduction = reducedDecoder.ReductionFor(header.Width, header.Height);
            reductions[reduction] = reductions.GetValueOrDefault(reduction) + 1;

            using Mat reduced = reducedDecoder.Decode(bytes, path);
            using Mat full = fullDecoder.Decode(bytes, path);
            using Mat decoded = Cv2.ImDecode(bytes, ImreadModes.Color);
            using var reference = new Mat();
            Cv2.Resize(decoded, reference, new OpenCvSharp.Size(size, size), 0, 0, InterpolationFlags.Area);

            using var difference = new Mat();
            Cv2.Absdiff(reduced, full, difference);
            maxDifference = Math.Max(maxDifference, Cv2.Norm(difference, NormTypes.INF));
            sumDifference += Cv2.Norm(difference, NormTypes.L1);
            double reducedError = Cv2.Norm(reduced, reference, NormTypes.L2SQR), fullError = Cv2.Norm(full, reference, NormTypes.L2SQR);
            reducedSse += reducedError;
            fullSse += fullError;
            if (reduction > 1)
            {
                // Where the two paths differ at all: an image decoded whole is the same both ways.
                reducedImages++;
                reducedOnlySse += reducedError;
                fullOnlySse += fullError;
            }
        }

        double perImage = (double)size * size * 3, values = n * perImage, reducedValues = Math.Max(1, reducedImages) * perImage;
        return new DecodeQualityResult(size, n, jpegs.Length, reductions.ToDictionary(r => r.Key, r => r.Value),
            maxDifference, sumDifference / values, Psnr(reducedSse / values), Psnr(fullSse / values),
            reducedImages == 0 ? null : Psnr(reducedOnlySse / reducedValues), reducedImages == 0 ? null : Psnr(fullOnlySse / reducedValues));
    }

    /// <summary>Peak signal-to-noise ratio of 8-bit values with this mean squared error, in dB.</summary>
    private static double Psnr(double mse) => mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);

    private static bool IsJpeg(string path)
    {
        Span<byte> head = stackalloc byte[3];
        using FileStream file = File.OpenRead(path);
        return file.ReadAtLeast(head, 3, throwOnEndOfStream: false) == 3 && ImageHeader.Sniff(head) == ImageFormat.Jpeg;
    }

    private static void Write(IAnsiConsole console, string root, DecodeQualityResult r)
    {
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        console.MarkupLine(Markup.Escape($"decode-quality of {root}: {r.Images} of {r.JpegsFound} JPEGs at {r.Size}x{r.Size}, " +
            $"reductions {string.Join(", ", r.Reductions.Select(p => $"1/{p.Key}: {p.Value}"))}"));
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("reduced + bilinear vs full + bilinear: max |difference| (levels)", F(r.MaxDifference, "0"));
        table.AddRow("reduced + bilinear vs full + bilinear: mean |difference| (levels)", F(r.MeanDifference, "0.00"));
        table.AddRow("PSNR of reduced + bilinear against full + area (dB)", F(r.ReducedPsnr, "0.0"));
        table.AddRow("PSNR of full + bilinear against full + area (dB)", F(r.FullPsnr, "0.0"));
        if (r.ReducedOnlyPsnr is double reducedOnly && r.FullOnlyPsnr is double fullOnly)
        {
            table.AddRow("the same over the reduced images only: reduced + bilinear (dB)", F(reducedOnly, "0.0"));
            table.AddRow("the same over the reduced images only: full + bilinear (dB)", F(fullOnly, "0.0"));
        }

        console.Write(table);
    }
}
