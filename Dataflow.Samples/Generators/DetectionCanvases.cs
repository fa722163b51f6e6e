using System.Globalization;
using System.Text.Json;
using Dataflow.Samples.Data;
using OpenCvSharp;

namespace Dataflow.Samples.Generators;

/// <summary>
/// A detection dataset made from the embedded digits: canvases with a few digits each, at random places and sizes, written
/// as PNGs and a COCO instances file (<c>DIR/annotations/instances_train.json</c>, images in <c>DIR/train/</c>: the COCO
/// folder layout that <c>--data DIR</c> reads).
/// </summary>
/// <remarks>
/// <para>Each digit is a cell of the sheet scaled (bilinear) to a random side and drawn onto a black canvas (white on black,
/// as the sheet). Its box is the bounds of the scaled digit's non-zero pixels, in COCO's xywh pixels, so it encloses every
/// pixel the digit drew and nothing of another: digits are placed so that their boxes do not overlap (a placement that
/// would is drawn again, and a digit with no place left is left out). Category ids 1 to 10 are digits 0 to 9.</para>
/// <para>Deterministic: the same options write the same bytes (one <see cref="Random"/> seeded by the seed, images drawn in order).</para>
/// </remarks>
public static class DetectionCanvases
{
    /// <summary>The annotation file's path under the output folder.</summary>
    public const string AnnotationPath = "annotations/instances_train.json";

    /// <summary>The images' folder under the output folder.</summary>
    public const string ImageFolder = "train";

    /// <summary>Writes the dataset into <paramref name="folder"/> (created; files of an earlier run with the same names are replaced).</summary>
    /// <returns>The number of digits (boxes) written.</returns>
    public static int Write(string folder, DetectionCanvasOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string root = Path.GetFullPath(folder);
        Directory.CreateDirectory(Path.Combine(root, ImageFolder));
        Directory.CreateDirectory(Path.Combine(root, "annotations"));
        using Mat sheet = Cv2.ImDecode(EmbeddedDigits.ReadSheet(), ImreadModes.Grayscale);
        var random = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        var images = new List<object>();
        var annotations = new List<object>();
        for (int i = 0; i < options.Images; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"{i:D6}.png");
            using var canvas = new Mat(options.Height, options.Width, MatType.CV_8UC1, Scalar.Black);
            var placed = new List<Rect>();
            int digits = random.Next(options.MinDigits, options.MaxDigits + 1);
            for (int d = 0; d < digits; d++)
            {
                int cell = random.Next(EmbeddedDigits.Count);
                int digit = cell / EmbeddedDigits.Columns / EmbeddedDigits.RowsPerClass;
                int side = random.Next(options.MinSize, Math.Min(options.MaxSize, Math.Min(options.Width, options.Height)) + 1);
                using var source = new Mat(sheet, new Rect(cell % EmbeddedDigits.Columns * EmbeddedDigits.CellSize, cell / EmbeddedDigits.Columns * EmbeddedDigits.CellSize,
                    EmbeddedDigits.CellSize, EmbeddedDigits.CellSize));
                using var scaled = new Mat();
                Cv2.Resize(source, scaled, new Size(side, side), interpolation: InterpolationFlags.Linear);
                Rect ink = Cv2.BoundingRect(scaled);
                if (ink.Width == 0 || ink.Height == 0)
                {
                    continue;
                }

                for (int attempt = 0; attempt < 30; attempt++)
                {
                    int x = random.Next(options.Width - side + 1), y = random.Next(options.Height - side + 1);
                    var box = new Rect(x + ink.X, y + ink.Y, ink.Width, ink.Height);
                    if (placed.Any(p => (p & box).Width > 0 && (p & box).Height > 0))
                    {
                        continue;
                    }

                    using (var target = new Mat(canvas, new Rect(x, y, side, side)))
                    {
                        Cv2.Max(target, scaled, target);
                    }

                    placed.Add(box);
                    annotations.Add(new
                    {
                        id = annotations.Count + 1,
                        image_id = i + 1,
                        category_id = digit + 1,
                        bbox = new[] { box.X, box.Y, box.Width, box.Height },
                        area = box.Width * box.Height,
                        iscrowd = 0,
                    });
                    break;
                }
            }

            Cv2.ImEncode(".png", canvas, out byte[] png);
            File.WriteAllBytes(Path.Combine(root, ImageFolder, name), png);
            images.Add(new { id = i + 1, file_name = name, width = options.Width, height = options.Height });
        }

        var document = new
        {
            info = new { description = string.Create(CultureInfo.InvariantCulture, $"embedded digits on {options.Width}x{options.Height} canvases, seed {options.Seed}") },
            images,
            annotations,
            categories = Enumerable.Range(0, 10).Select(d => new { id = d + 1, name = d.ToString(CultureInfo.InvariantCulture), supercategory = "digit" }),
        };
        File.WriteAllBytes(Path.Combine(root, AnnotationPath), JsonSerializer.SerializeToUtf8Bytes(document));
        return annotations.Count;
    }
}

/// <summary>What <see cref="DetectionCanvases.Write"/> draws.</summary>
public sealed record DetectionCanvasOptions
{
    /// <summary>Canvases to write.</summary>
    public int Images { get; init; } = 500;

    /// <summary>Canvas width in pixels.</summary>
    public int Width { get; init; } = 96;

    /// <summary>Canvas height in pixels.</summary>
    public int Height { get; init; } = 96;

    /// <summary>The fewest digits per canvas.</summary>
    public int MinDigits { get; init; } = 1;

    /// <summary>The most digits per canvas.</summary>
    public int MaxDigits { get; init; } = 4;

    /// <summary>The smallest digit side in pixels (the 20-pixel cell scaled to it).</summary>
    public int MinSize { get; init; } = 16;

    /// <summary>The largest digit side in pixels.</summary>
    public int MaxSize { get; init; } = 40;

    /// <summary>The seed of every choice.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Throws when a value is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or size is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Images, 1, nameof(Images));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinDigits, 0, nameof(MinDigits));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDigits, MinDigits, nameof(MaxDigits));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSize, 4, nameof(MinSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSize, MinSize, nameof(MaxSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Math.Min(Width, Height), MinSize, "canvas side");
    }
}
