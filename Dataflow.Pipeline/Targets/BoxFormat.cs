using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>How the four numbers of a box are laid out.</summary>
public enum BoxCoordinates
{
    /// <summary>Left, top, right, bottom (torchvision <c>XYXY</c>, Pascal VOC).</summary>
    Xyxy = 0,

    /// <summary>Left, top, width, height (torchvision <c>XYWH</c>, COCO).</summary>
    Xywh = 1,

    /// <summary>Centre x, centre y, width, height (torchvision <c>CXCYWH</c>, YOLO).</summary>
    Cxcywh = 2,
}

/// <summary>
/// The format of a set of boxes: the layout of their four numbers, and whether they are in pixels or normalized to [0, 1] by
/// the image's width and height. Declared once where boxes enter (a reader) or leave (the batch), and converted there.
/// </summary>
/// <remarks>The default value is <see cref="Xyxy"/> in pixels, the format the pipeline keeps boxes in between the two edges.
/// Pixel coordinates are continuous: the image spans [0, width] × [0, height], pixel (i, j) covering [i, i + 1] × [j, j + 1].</remarks>
/// <param name="Coordinates">The layout of the four numbers.</param>
/// <param name="Normalized">True when x and widths are divided by the image's width, and y and heights by its height.</param>
public readonly record struct BoxFormat(BoxCoordinates Coordinates, bool Normalized = false)
{
    /// <summary>Left, top, right, bottom in pixels.</summary>
    public static BoxFormat Xyxy => new(BoxCoordinates.Xyxy);

    /// <summary>Left, top, width, height in pixels (COCO).</summary>
    public static BoxFormat Xywh => new(BoxCoordinates.Xywh);

    /// <summary>Centre x, centre y, width, height in pixels.</summary>
    public static BoxFormat Cxcywh => new(BoxCoordinates.Cxcywh);

    /// <summary>Centre x, centre y, width, height normalized to [0, 1] (YOLO label files).</summary>
    public static BoxFormat CxcywhNormalized => new(BoxCoordinates.Cxcywh, true);

    /// <summary>The names <see cref="Parse"/> accepts, as <see cref="ToString"/> writes them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["xyxy", "xywh", "cxcywh", "xyxy-normalized", "xywh-normalized", "cxcywh-normalized"];

    /// <summary>Reads a format written as <see cref="ToString"/> writes it ("xywh", "cxcywh-normalized"), ignoring case.</summary>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not one of <see cref="Names"/>.</exception>
    public static BoxFormat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < Names.Count; i++)
        {
            if (string.Equals(text, Names[i], StringComparison.OrdinalIgnoreCase))
            {
                return new BoxFormat((BoxCoordinates)(i % 3), i >= 3);
            }
        }

        throw new ArgumentException($"Parameter \"{nameof(text)}\" must be one of {string.Join(", ", Names)}, was '{text}'.", nameof(text));
    }

    /// <summary>
    /// Converts boxes in this format to xyxy pixels of a <paramref name="image"/>-sized image: four numbers per box,
    /// <paramref name="boxes"/> and <paramref name="xyxy"/> of the same length (they may be the same span).
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths differ or are not a multiple of 4.</exception>
    public void ToXyxy(ReadOnlySpan<float> boxes, Span<float> xyxy, Size image)
    {
        CheckLengths(boxes.Length, xyxy.Length);
        float sx = Normalized ? image.Width : 1f, sy = Normalized ? image.Height : 1f;
        for (int i = 0; i < boxes.Length; i += 4)
        {
            float a = boxes[i] * sx, b = boxes[i + 1] * sy, c = boxes[i + 2] * sx, d = boxes[i + 3] * sy;
            (xyxy[i], xyxy[i + 1], xyxy[i + 2], xyxy[i + 3]) = Coordinates switch
            {
                BoxCoordinates.Xywh => (a, b, a + c, b + d),
                BoxCoordinates.Cxcywh => (a - c / 2, b - d / 2, a + c / 2, b + d / 2),
                _ => (a, b, c, d),
            };
        }
    }

    /// <summary>
    /// Converts xyxy pixel boxes of an <paramref name="image"/>-sized image to this format: the inverse of <see cref="ToXyxy"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths differ or are not a multiple of 4.</exception>
    public void FromXyxy(ReadOnlySpan<float> xyxy, Span<float> boxes, Size image)
    {
        CheckLengths(xyxy.Length, boxes.Length);
        float sx = Normalized ? 1f / image.Width : 1f, sy = Normalized ? 1f / image.Height : 1f;
        for (int i = 0; i < xyxy.Length; i += 4)
        {
            float x1 = xyxy[i], y1 = xyxy[i + 1], x2 = xyxy[i + 2], y2 = xyxy[i + 3];
            (float a, float b, float c, float d) = Coordinates switch
            {
                BoxCoordinates.Xywh => (x1, y1, x2 - x1, y2 - y1),
                BoxCoordinates.Cxcywh => ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1),
                _ => (x1, y1, x2, y2),
            };
            (boxes[i], boxes[i + 1], boxes[i + 2], boxes[i + 3]) = (a * sx, b * sy, c * sx, d * sy);
        }
    }

    /// <summary>The box's width and height in this format's units, negative when the box is inverted.</summary>
    internal (float Width, float Height) Extent(ReadOnlySpan<float> box) =>
        Coordinates == BoxCoordinates.Xyxy ? (box[2] - box[0], box[3] - box[1]) : (box[2], box[3]);

    private static void CheckLengths(int from, int to)
    {
        if (from != to || from % 4 != 0)
        {
            throw new ArgumentException($"Boxes take 4 numbers each, in and out: was {from} in and {to} out.");
        }
    }

    /// <summary>The format's name: "xyxy", "xywh", "cxcywh", with "-normalized" when it is.</summary>
    public override string ToString() => Names[(int)Coordinates + (Normalized ? 3 : 0)];
}
