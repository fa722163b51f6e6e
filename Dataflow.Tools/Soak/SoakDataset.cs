using System.Buffers.Binary;
using OpenCvSharp;

namespace Dataflow.Tools.Soak;

/// <summary>
/// A generated dataset for the soak: JPEGs and PNGs of varied sizes in class folders, with a corrupt file
/// in place of every n-th image, cycling through the kinds of damage the pipeline must skip and report.
/// </summary>
internal static class SoakDataset
{
    /// <summary>The kinds of corrupt file, in the order they are sprinkled.</summary>
    public static IReadOnlyList<string> CorruptKinds { get; } = ["empty", "truncated-jpeg", "noise", "text", "bomb", "truncated-png"];

    /// <summary>Writes <paramref name="images"/> files into <paramref name="classes"/> class folders under <paramref name="root"/>; returns how many are corrupt.</summary>
    public static int Generate(string root, int images, int classes, int corruptEvery, long seed)
    {
        var random = new Random(unchecked((int)seed) ^ 0x50AC);
        int corrupt = 0;
        for (int i = 0; i < images; i++)
        {
            string folder = Path.Combine(root, $"class{i % classes:D2}");
            Directory.CreateDirectory(folder);
            if (corruptEvery > 0 && i % corruptEvery == corruptEvery - 1)
            {
                string kind = CorruptKinds[corrupt++ % CorruptKinds.Count];
                (string extension, byte[] bytes) = Corrupt(kind, random);
                File.WriteAllBytes(Path.Combine(folder, $"{i:D6}-{kind}{extension}"), bytes);
                continue;
            }

            using Mat image = Picture(random.Next(64, 481), random.Next(64, 481), random);
            string ext = i % 3 == 0 ? ".png" : ".jpg";
            Cv2.ImEncode(ext, image, out byte[] encoded, ext == ".jpg" ? [(int)ImwriteFlags.JpegQuality, 90] : []);
            File.WriteAllBytes(Path.Combine(folder, $"{i:D6}{ext}"), encoded);
        }

        return corrupt;
    }

    private static Mat Picture(int width, int height, Random random)
    {
        var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(random.Next(256), random.Next(256), random.Next(256)));
        for (int k = 0; k < 6; k++)
        {
            var colour = new Scalar(random.Next(256), random.Next(256), random.Next(256));
            Cv2.Circle(image, new Point(random.Next(width), random.Next(height)), random.Next(4, Math.Max(5, Math.Min(width, height) / 2)), colour, -1);
        }

        using var noise = new Mat(height, width, MatType.CV_8UC3);
        Cv2.Randu(noise, Scalar.All(0), Scalar.All(24));
        Cv2.Add(image, noise, image);
        return image;
    }

    private static (string Extension, byte[] Bytes) Corrupt(string kind, Random random)
    {
        using Mat small = Picture(48, 40, random);
        switch (kind)
        {
            case "empty":
                return (".jpg", []);
            case "truncated-jpeg":
            {
                Cv2.ImEncode(".jpg", small, out byte[] jpeg);
                return (".jpg", jpeg[..(jpeg.Length * 2 / 3)]);
            }

            case "noise":
            {
                var bytes = new byte[random.Next(512, 8192)];
                random.NextBytes(bytes);
                bytes[0] = 0; // not a JPEG marker by chance
                return (".jpg", bytes);
            }

            case "text":
                return (".png", "this is a text file with an image's name\n"u8.ToArray());
            case "bomb":
            {
                // A complete small JPEG whose frame header declares 20000×20000 pixels.
                Cv2.ImEncode(".jpg", small, out byte[] jpeg);
                int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 20000);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 20000);
                return (".jpg", jpeg);
            }

            default:
            {
                Cv2.ImEncode(".png", small, out byte[] png);
                return (".png", png[..(png.Length / 2)]);
            }
        }
    }
}
