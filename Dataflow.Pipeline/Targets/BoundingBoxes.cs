using System.Globalization;
using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// The boxes of one image in its source pixels (before any resize or augmentation): N boxes, each with four numbers in
/// <see cref="Format"/>, a class index, and optional named integer fields (a crowd flag, an instance id). Immutable.
/// </summary>
/// <remarks>The constructor copies what it is given. A box with a coordinate that is not finite, a negative width or height,
/// or a negative class is refused there, naming the box; a box outside the image or with a class the dataset does not have is
/// refused where the image's size and the dataset's classes are known (<see cref="Problem"/>, <see cref="TargetSchema.Check"/>).
/// A zero-size box is kept here: the pipeline drops it with the rule for degenerate boxes, and counts it.</remarks>
public sealed class BoundingBoxes
{
    private static readonly Dictionary<string, int[]> NoFields = [];
    private readonly float[] _coordinates;
    private readonly int[] _classes;
    private readonly Dictionary<string, int[]> _fields;

    /// <summary>Creates the boxes of one image.</summary>
    /// <param name="coordinates">Four numbers per box, in <paramref name="format"/>.</param>
    /// <param name="classes">One class index per box, into <see cref="TargetSchema.ClassNames"/>.</param>
    /// <param name="format">The format of <paramref name="coordinates"/>; xyxy pixels by default.</param>
    /// <param name="fields">Named integer fields, one value per box (as "iscrowd"); null for none.</param>
    /// <exception cref="ArgumentException">The lengths disagree, a coordinate is not finite, a box has a negative width or height,
    /// a class is negative, or a field has no name or the wrong length. The message names the box.</exception>
    public BoundingBoxes(ReadOnlySpan<float> coordinates, ReadOnlySpan<int> classes, BoxFormat format = default, IReadOnlyDictionary<string, int[]>? fields = null)
    {
        if (coordinates.Length != 4 * classes.Length)
        {
            throw new ArgumentException($"Boxes take 4 coordinates each: {coordinates.Length} coordinates for {classes.Length} classes.", nameof(coordinates));
        }

        Format = format;
        for (int i = 0; i < classes.Length; i++)
        {
            ReadOnlySpan<float> box = coordinates.Slice(4 * i, 4);
            if (!float.IsFinite(box[0]) || !float.IsFinite(box[1]) || !float.IsFinite(box[2]) || !float.IsFinite(box[3]))
            {
                throw new ArgumentException($"Box {i} ({Describe(box)}) has a coordinate that is not a finite number.", nameof(coordinates));
            }

            (float w, float h) = format.Extent(box);
            if (w < 0 || h < 0)
            {
                throw new ArgumentException($"Box {i} ({Describe(box)}, {format}) has a negative width or height.", nameof(coordinates));
            }

            if (classes[i] < 0)
            {
                throw new ArgumentException($"Box {i} has class {classes[i]}; classes are indices from 0.", nameof(classes));
            }
        }

        _coordinates = coordinates.ToArray();
        _classes = classes.ToArray();
        _fields = NoFields;
        if (fields is { Count: > 0 })
        {
            _fields = new Dictionary<string, int[]>(fields.Count, StringComparer.Ordinal);
            foreach ((string name, int[] values) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                ArgumentException.ThrowIfNullOrEmpty(name, nameof(fields));
                if (values is null || values.Length != classes.Length)
                {
                    throw new ArgumentException($"Field '{name}' has {values?.Length ?? 0} values for {classes.Length} boxes.", nameof(fields));
                }

                _fields.Add(name, (int[])values.Clone());
            }
        }

        FieldNames = [.. _fields.Keys];
    }

    /// <summary>No boxes (an image with none: a negative).</summary>
    public static BoundingBoxes Empty { get; } = new([], []);

    /// <summary>The number of boxes.</summary>
    public int Count => _classes.Length;

    /// <summary>The format of <see cref="Coordinates"/>.</summary>
    public BoxFormat Format { get; }

    /// <summary>Four numbers per box, in <see cref="Format"/>.</summary>
    public ReadOnlySpan<float> Coordinates => _coordinates;

    /// <summary>One class index per box.</summary>
    public ReadOnlySpan<int> Classes => _classes;

    /// <summary>The names of the extra fields, in ordinal order.</summary>
    public IReadOnlyList<string> FieldNames { get; }

    /// <summary>The values of field <paramref name="name"/>, one per box.</summary>
    /// <exception cref="KeyNotFoundException">The boxes have no such field.</exception>
    public ReadOnlySpan<int> Field(string name) => _fields.TryGetValue(name, out int[]? values)
        ? values
        : throw new KeyNotFoundException($"The boxes have no field '{name}'; they have [{string.Join(", ", FieldNames)}].");

    /// <summary>The boxes as xyxy pixels of a <paramref name="image"/>-sized image (a new array of 4 × <see cref="Count"/>).</summary>
    public float[] ToXyxy(Size image)
    {
        var xyxy = new float[_coordinates.Length];
        Format.ToXyxy(_coordinates, xyxy, image);
        return xyxy;
    }

    /// <summary>
    /// Why these boxes cannot belong to an <paramref name="image"/>-sized image, naming the first box that lies wholly outside it;
    /// null when every box meets the image (a box partly outside is clipped by the pipeline, not refused).
    /// </summary>
    public string? Problem(Size image)
    {
        float[] xyxy = ToXyxy(image);
        for (int i = 0; i < Count; i++)
        {
            float x1 = xyxy[4 * i], y1 = xyxy[4 * i + 1], x2 = xyxy[4 * i + 2], y2 = xyxy[4 * i + 3];
            if (x1 > image.Width || y1 > image.Height || x2 < 0 || y2 < 0)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"box {i} ({Describe(_coordinates.AsSpan(4 * i, 4))}, {Format}) lies outside the {image.Width}x{image.Height} image");
            }
        }

        return null;
    }

    /// <summary>
    /// The class of the largest box by area (a box whose <paramref name="demoted"/> field is 1, COCO's <c>iscrowd</c> or VOC's
    /// <c>difficult</c>, only when there is no other), or <paramref name="none"/> when there are no boxes: the per-image label of
    /// a detection sample, as every detection source gives it (the first of equal boxes).
    /// </summary>
    internal int LargestClass(int none, string demoted = "iscrowd")
    {
        ReadOnlySpan<int> crowd = _fields.TryGetValue(demoted, out int[]? flags) ? flags : default;
        int best = none;
        bool bestCrowd = true;
        float area = -1;
        for (int i = 0; i < Count; i++)
        {
            (float w, float h) = Format.Extent(_coordinates.AsSpan(4 * i, 4));
            bool isCrowd = !crowd.IsEmpty && crowd[i] != 0;
            if (best == none || (bestCrowd && !isCrowd) || (bestCrowd == isCrowd && w * h > area))
            {
                (best, area, bestCrowd) = (_classes[i], w * h, isCrowd);
            }
        }

        return best;
    }

    private static string Describe(ReadOnlySpan<float> box) =>
        string.Create(CultureInfo.InvariantCulture, $"{box[0]}, {box[1]}, {box[2]}, {box[3]}");

    /// <inheritdoc />
    public override string ToString() => $"{Count} boxes ({Format})";
}
