using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// A batch's targets, row by row in the batch's order, as padded tensors with per-row counts: boxes, classes and fields
/// [N, <see cref="MaxInstances"/>, …], keypoints [N, <see cref="MaxInstances"/>, K, 3], masks [N, H, W] beside the image
/// tensor, multi-hot [N, C], text, and each row's <see cref="SampleGeometry"/> back to its source image.
/// </summary>
/// <remarks>
/// <para>Everything is in the row's (tensor's) pixels after every transform, boxes in <see cref="TargetOptions.BoxFormat"/>.
/// Rows are padded to the batch's largest count: padding boxes are 0, padding classes and fields −1, padding keypoints 0
/// (visibility 0). <c>Row*</c> methods give one row's part without copying.</para>
/// <para>Ownership: managed arrays that belong to the batch and stay readable after it is disposed (unlike the image tensor,
/// they are not pooled).</para>
/// </remarks>
public sealed class BatchTargets
{
    private readonly Dictionary<string, int[]> _fields;

    internal BatchTargets(int rows, int maxInstances, Size size, BoxFormat format, float[] boxes, int[] classes, int[] counts,
        Dictionary<string, int[]> fields, int keypointCount, float[]? keypoints, byte[]? masks, byte[]? instanceMasks,
        float[]? multiHot, int classCount, string?[]? texts, SampleGeometry[] geometry, int[] dropped)
    {
        Rows = rows;
        MaxInstances = maxInstances;
        Width = size.Width;
        Height = size.Height;
        BoxFormat = format;
        Boxes = boxes;
        Classes = classes;
        Counts = counts;
        _fields = fields;
        FieldNames = [.. fields.Keys];
        KeypointCount = keypointCount;
        Keypoints = keypoints;
        Masks = masks;
        InstanceMasks = instanceMasks;
        MultiHot = multiHot;
        ClassCount = classCount;
        Texts = texts;
        Geometry = geometry;
        Dropped = dropped;
    }

    /// <summary>The number of rows (the batch's <see cref="Batching.Batch.Count"/>).</summary>
    public int Rows { get; }

    /// <summary>The padded number of instances (boxes) per row: the batch's largest count.</summary>
    public int MaxInstances { get; }

    /// <summary>The tensor's width in pixels.</summary>
    public int Width { get; }

    /// <summary>The tensor's height in pixels.</summary>
    public int Height { get; }

    /// <summary>The format of <see cref="Boxes"/>.</summary>
    public BoxFormat BoxFormat { get; }

    /// <summary>Boxes [N, <see cref="MaxInstances"/>, 4] in <see cref="BoxFormat"/>; empty when the dataset has no boxes.</summary>
    public float[] Boxes { get; }

    /// <summary>Box classes [N, <see cref="MaxInstances"/>]; −1 for padding.</summary>
    public int[] Classes { get; }

    /// <summary>Instances per row [N]: kept boxes (or keypoint instances when the dataset has no boxes).</summary>
    public int[] Counts { get; }

    /// <summary>The names of the boxes' extra fields.</summary>
    public IReadOnlyList<string> FieldNames { get; }

    /// <summary>Keypoints per instance (K).</summary>
    public int KeypointCount { get; }

    /// <summary>Keypoints [N, <see cref="MaxInstances"/>, K, 3] as (x, y, visibility); null when the dataset has none.</summary>
    public float[]? Keypoints { get; }

    /// <summary>Semantic masks [N, H, W], one label per pixel; null when the dataset has none.</summary>
    public byte[]? Masks { get; }

    /// <summary>Instance masks [N, <see cref="MaxInstances"/>, H, W], 1 inside box i's object; null when the dataset has none.</summary>
    public byte[]? InstanceMasks { get; }

    /// <summary>Multi-hot rows [N, <see cref="ClassCount"/>]: 1 for each of the row's classes; null when the dataset has no multi-label targets.</summary>
    public float[]? MultiHot { get; }

    /// <summary>The number of classes of <see cref="MultiHot"/>.</summary>
    public int ClassCount { get; }

    /// <summary>Each row's text, untouched (null for a row without); null when the dataset has no text.</summary>
    public IReadOnlyList<string?>? Texts { get; }

    /// <summary>Each row's map from its source image (use it to take predictions back to source pixels).</summary>
    public IReadOnlyList<SampleGeometry> Geometry { get; }

    /// <summary>Boxes each row lost to the keep rules (<see cref="TargetOptions"/>).</summary>
    public IReadOnlyList<int> Dropped { get; }

    /// <summary>The values of field <paramref name="name"/> [N, <see cref="MaxInstances"/>]; −1 for padding.</summary>
    /// <exception cref="KeyNotFoundException">The boxes have no such field.</exception>
    public int[] Field(string name) => _fields.TryGetValue(name, out int[]? values)
        ? values
        : throw new KeyNotFoundException($"The batch's boxes have no field '{name}'; they have [{string.Join(", ", FieldNames)}].");

    /// <summary>Row <paramref name="row"/>'s boxes, <see cref="Counts"/>[row] × 4 numbers, without padding.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no boxes.</exception>
    public ReadOnlySpan<float> RowBoxes(int row) => HasBoxes ? Boxes.AsSpan(4 * MaxInstances * Checked(row), 4 * Counts[row]) : throw NoBoxes();

    /// <summary>Row <paramref name="row"/>'s box classes, without padding.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no boxes.</exception>
    public ReadOnlySpan<int> RowClasses(int row) => HasBoxes ? Classes.AsSpan(MaxInstances * Checked(row), Counts[row]) : throw NoBoxes();

    /// <summary>True when the dataset declares boxes (<see cref="TargetKinds.Boxes"/>): <see cref="Boxes"/> and <see cref="Classes"/> then hold them, padded; else both are empty and <see cref="RowBoxes"/> throws.</summary>
    public bool HasBoxes { get; private init; } = true;

    private static InvalidOperationException NoBoxes() => new("The batch has no boxes: its dataset declares none (TargetSchema.Kinds).");

    /// <summary>Row <paramref name="row"/>'s keypoints, <see cref="Counts"/>[row] × K × 3 numbers, without padding.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no keypoints.</exception>
    public ReadOnlySpan<float> RowKeypoints(int row) =>
        (Keypoints ?? throw new InvalidOperationException("The batch has no keypoints.")).AsSpan(3 * KeypointCount * MaxInstances * Checked(row), 3 * KeypointCount * Counts[row]);

    /// <summary>Row <paramref name="row"/>'s semantic mask, H × W labels.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no semantic masks.</exception>
    public ReadOnlySpan<byte> RowMask(int row) =>
        (Masks ?? throw new InvalidOperationException("The batch has no semantic masks.")).AsSpan(Width * Height * Checked(row), Width * Height);

    /// <summary>The mask of instance <paramref name="instance"/> of row <paramref name="row"/>, H × W.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no instance masks.</exception>
    public ReadOnlySpan<byte> RowInstanceMask(int row, int instance)
    {
        byte[] masks = InstanceMasks ?? throw new InvalidOperationException("The batch has no instance masks.");
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)instance, (uint)Counts[Checked(row)], nameof(instance));
        return masks.AsSpan(Width * Height * (MaxInstances * row + instance), Width * Height);
    }

    private int Checked(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Rows, nameof(row));
        return row;
    }

    /// <summary>Builds a batch's targets from its rows, in order.</summary>
    internal static BatchTargets Assemble(IReadOnlyList<RowTargets> rows, TargetSchema schema, TargetOptions options, Size size)
    {
        int n = rows.Count, max = 0;
        foreach (RowTargets row in rows)
        {
            max = Math.Max(max, row.Instances);
        }

        int k = schema.KeypointNames.Count;
        bool hasBoxes = schema.Kinds.HasFlag(TargetKinds.Boxes);
        var boxes = new float[hasBoxes ? n * max * 4 : 0];
        var classes = new int[hasBoxes ? n * max : 0];
        Array.Fill(classes, -1);
        var counts = new int[n];
        var fields = new Dictionary<string, int[]>(StringComparer.Ordinal);
        float[]? keypoints = schema.Kinds.HasFlag(TargetKinds.Keypoints) ? new float[n * max * k * 3] : null;
        int plane = size.Width * size.Height;
        byte[]? masks = schema.Kinds.HasFlag(TargetKinds.SemanticMask) ? new byte[n * plane] : null;
        byte[]? instanceMasks = schema.Kinds.HasFlag(TargetKinds.InstanceMasks) ? new byte[n * max * plane] : null;
        int classCount = schema.ClassNames.Count;
        float[]? multiHot = schema.Kinds.HasFlag(TargetKinds.MultiLabel) ? new float[n * classCount] : null;
        string?[]? texts = schema.Kinds.HasFlag(TargetKinds.Text) ? new string?[n] : null;
        var geometry = new SampleGeometry[n];
        var dropped = new int[n];
        for (int r = 0; r < n; r++)
        {
            RowTargets row = rows[r];
            counts[r] = row.Instances;
            geometry[r] = row.Geometry;
            dropped[r] = row.Dropped;
            if (hasBoxes)
            {
                options.BoxFormat.FromXyxy(row.Boxes, boxes.AsSpan(4 * max * r, row.Boxes.Length), size);
                row.Classes.CopyTo(classes, max * r);
            }

            for (int f = 0; f < row.FieldNames.Length; f++)
            {
                if (!fields.TryGetValue(row.FieldNames[f], out int[]? values))
                {
                    fields[row.FieldNames[f]] = values = new int[n * max];
                    Array.Fill(values, -1);
                }

                row.Fields[f].CopyTo(values, max * r);
            }

            row.Keypoints?.CopyTo(keypoints!, 3 * k * max * r);
            row.SemanticMask?.CopyTo(masks!, plane * r);
            row.InstanceMasks?.CopyTo(instanceMasks!, plane * max * r);
            if (multiHot is not null && row.Labels is { } labels)
            {
                foreach (int label in labels)
                {
                    multiHot[classCount * r + label] = 1f;
                }
            }

            if (texts is not null)
            {
                texts[r] = row.Text;
            }
        }

        return new BatchTargets(n, max, size, options.BoxFormat, boxes, classes, counts, fields, k, keypoints, masks, instanceMasks,
            multiHot, classCount, texts, geometry, dropped) { HasBoxes = hasBoxes };
    }

    /// <inheritdoc />
    public override string ToString() => $"targets of {Rows} rows, up to {MaxInstances} instances each";
}
