using Dataflow.Pipeline.Discovery;
using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// One sample's targets between decode and normalize, in the pixels of the image as it is now: each geometric step of the pixels
/// (<see cref="Apply"/>) moves them the same way, and <see cref="Finish"/> applies the keep rules and writes what the batch takes.
/// </summary>
/// <remarks>Made only for a dataset with a <see cref="TargetSchema"/>: a classification run has none and allocates nothing for it.
/// Owns the masks' Mats until <see cref="Finish"/> or <see cref="Dispose"/>.</remarks>
internal sealed class TargetState : IDisposable
{
    private readonly TargetSchema _schema;
    private readonly TargetOptions _options;
    private readonly SampleTargets? _targets;
    private readonly Size _source;
    private readonly double[][] _polygons;
    private readonly int[] _vertices;
    private readonly double[] _visible;
    private double[] _clip = new double[32];
    private readonly float[]? _keypoints;
    private readonly int _instances;
    private readonly int _perInstance;
    private Mat? _semantic;
    private Mat?[]? _instanceMasks;
    private Affine2D _map = Affine2D.Identity;
    private Size _size;

    private TargetState(SampleTargets? targets, TargetSchema schema, TargetOptions options, Size source)
    {
        _targets = targets;
        _schema = schema;
        _options = options;
        _source = source;
        _size = source;
        BoundingBoxes? boxes = targets?.Boxes;
        if (boxes is not null && boxes.Problem(source) is string problem)
        {
            throw new InvalidDataException(problem + ".");
        }

        // Each box is followed as the polygon its four corners make (a parallelogram under affine maps, cut by each step's
        // image edges), so that rotations do not inflate it step after step: its bounds are taken once, at the end.
        float[] xyxy = boxes?.ToXyxy(source) ?? [];
        int count = xyxy.Length / 4;
        _polygons = new double[count][];
        _vertices = new int[count];
        _visible = new double[count];
        for (int i = 0; i < count; i++)
        {
            float x1 = xyxy[4 * i], y1 = xyxy[4 * i + 1], x2 = xyxy[4 * i + 2], y2 = xyxy[4 * i + 3];
            _polygons[i] = [x1, y1, x2, y1, x2, y2, x1, y2, 0, 0, 0, 0, 0, 0, 0, 0];
            _vertices[i] = 4;
            _visible[i] = 1.0;
        }
        if (targets?.Keypoints is Keypoints keypoints)
        {
            _keypoints = keypoints.ToPixels(source);
            _instances = keypoints.InstanceCount;
            _perInstance = keypoints.KeypointCount;
        }
    }

    /// <summary>The targets of <paramref name="sample"/> at the start of decode, with their masks made at the source size, moved by the decode.</summary>
    /// <exception cref="InvalidDataException">A box lies outside the image, or a mask cannot be made at its size.</exception>
    public static TargetState Start(SampleInfo sample, TargetSchema schema, TargetOptions options, DecodeGeometry decode, Size decoded)
    {
        var state = new TargetState(sample.Targets, schema, options, decode.Source);
        try
        {
            if (sample.Targets?.SemanticMask is IMaskSource semantic)
            {
                state._semantic = MaskSource.RenderChecked(semantic, decode.Source);
            }

            if (sample.Targets?.InstanceMasks is { } masks)
            {
                state._instanceMasks = new Mat?[masks.Count];
                for (int i = 0; i < masks.Count; i++)
                {
                    state._instanceMasks[i] = MaskSource.RenderChecked(masks[i], decode.Source);
                }
            }

            if (decode.Reduced is Size reduced)
            {
                state.Apply(decode.Reduction, reduced);
            }

            state.Apply(decode.Resize, decoded, decode.NearestFloor);
            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>The size of the image the targets are in now.</summary>
    public Size Size => _size;

    /// <summary>The map from source pixels to the image's pixels now (every step so far, composed).</summary>
    public Affine2D Map => _map;

    /// <summary>Moves the targets by <paramref name="map"/>, which gives an image of <paramref name="output"/> size.</summary>
    /// <param name="map">The step's map of continuous pixel coordinates.</param>
    /// <param name="output">The size of the image the step gives.</param>
    /// <param name="nearestFloor">True when the step's pixels are resized by OpenCV's nearest neighbour (each output pixel takes the
    /// source pixel under its top-left corner, not its centre): masks then sample the same pixels.</param>
    public void Apply(in Affine2D map, Size output, bool nearestFloor = false)
    {
        double w = output.Width, h = output.Height;
        for (int i = 0; i < _polygons.Length; i++)
        {
            double[] polygon = _polygons[i];
            int n = _vertices[i];
            for (int v = 0; v < n; v++)
            {
                (polygon[2 * v], polygon[2 * v + 1]) = map.Apply(polygon[2 * v], polygon[2 * v + 1]);
            }

            double before = Area(polygon, n);
            n = Clip(ref _polygons[i], n, w, h);
            _vertices[i] = n;
            if (before > 0)
            {
                _visible[i] *= Area(_polygons[i], n) / before;
            }
        }

        if (_keypoints is float[] points)
        {
            for (int i = 0; i < points.Length; i += 3)
            {
                (double x, double y) = map.Apply(points[i], points[i + 1]);
                (points[i], points[i + 1]) = ((float)x, (float)y);
                if (points[i + 2] > 0 && !(x >= 0 && x < w && y >= 0 && y < h))
                {
                    points[i + 2] = 0;
                }
            }

            if (map.Mirrors && _perInstance > 0)
            {
                Mirror(points);
            }
        }

        // OpenCV's nearest resize reads source pixel floor(i / s); warpAffine's nearest rounds, so half a source pixel is added.
        Affine2D pixelCenters = nearestFloor
            ? map with { M13 = map.M13 + 0.5 * map.M11, M23 = map.M23 + 0.5 * map.M22 }
            : map.ToPixelCenters();
        _semantic = Warp(_semantic, pixelCenters, output, _options.MaskFill);
        for (int i = 0; _instanceMasks is not null && i < _instanceMasks.Length; i++)
        {
            _instanceMasks[i] = Warp(_instanceMasks[i], pixelCenters, output, 0);
        }

        _map = _map.Then(map);
        _size = output;
    }

    /// <summary>Swaps each instance's left and right keypoints (the dataset's flip pairs): after a mirror, the left eye is where the right one was.</summary>
    private void Mirror(float[] points)
    {
        int[] permutation = _schema.FlipPermutation;
        float[] copy = new float[3 * _perInstance];
        for (int n = 0; n < _instances; n++)
        {
            Span<float> values = points.AsSpan(3 * _perInstance * n, 3 * _perInstance);
            values.CopyTo(copy);
            for (int k = 0; k < _perInstance; k++)
            {
                copy.AsSpan(3 * permutation[k], 3).CopyTo(values.Slice(3 * k, 3));
            }
        }
    }

    /// <summary>The area of a polygon of <paramref name="n"/> vertices (shoelace).</summary>
    private static double Area(double[] polygon, int n)
    {
        double twice = 0;
        for (int v = 0, u = n - 1; v < n; u = v++)
        {
            twice += polygon[2 * u] * polygon[2 * v + 1] - polygon[2 * v] * polygon[2 * u + 1];
        }

        return Math.Abs(twice) / 2;
    }

    /// <summary>Cuts a polygon to [0, w] × [0, h] (Sutherland–Hodgman, one edge at a time); returns its vertex count.</summary>
    private int Clip(ref double[] polygon, int n, double w, double h)
    {
        for (int edge = 0; edge < 4 && n > 0; edge++)
        {
            if (_clip.Length < 2 * (n + 4))
            {
                _clip = new double[4 * (n + 4)];
            }

            int m = 0;
            for (int v = 0, u = n - 1; v < n; u = v++)
            {
                double ux = polygon[2 * u], uy = polygon[2 * u + 1], vx = polygon[2 * v], vy = polygon[2 * v + 1];
                double du = Inside(edge, ux, uy, w, h), dv = Inside(edge, vx, vy, w, h);
                if ((du >= 0) != (dv >= 0))
                {
                    double t = du / (du - dv);
                    _clip[2 * m] = ux + t * (vx - ux);
                    _clip[2 * m + 1] = uy + t * (vy - uy);
                    m++;
                }

                if (dv >= 0)
                {
                    _clip[2 * m] = vx;
                    _clip[2 * m + 1] = vy;
                    m++;
                }
            }

            if (polygon.Length < 2 * m)
            {
                polygon = new double[2 * m + 8];
            }

            Array.Copy(_clip, polygon, 2 * m);
            n = m;
        }

        return n;
    }

    /// <summary>How far inside edge <paramref name="edge"/> (left, top, right, bottom) of the image a point is; negative outside.</summary>
    private static double Inside(int edge, double x, double y, double w, double h) => edge switch
    {
        0 => x,
        1 => y,
        2 => w - x,
        _ => h - y,
    };

    private static Mat? Warp(Mat? mask, in Affine2D pixelCenters, Size output, byte fill)
    {
        if (mask is null)
        {
            return null;
        }

        using Mat matrix = Augmentation.AffineWarp.Matrix(pixelCenters.M11, pixelCenters.M12, pixelCenters.M13, pixelCenters.M21, pixelCenters.M22, pixelCenters.M23);
        var dst = new Mat();
        try
        {
            Cv2.WarpAffine(mask, dst, matrix, output, InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(fill));
        }
        catch
        {
            dst.Dispose();
            throw;
        }

        mask.Dispose();
        return dst;
    }

    /// <summary>
    /// Applies the keep rules (a box under <see cref="TargetOptions.MinBoxSize"/> on a side, degenerate, or with less than
    /// <see cref="TargetOptions.MinVisibility"/> of its area left is dropped with its fields, keypoints and mask) and writes the
    /// row's targets; releases the masks.
    /// </summary>
    public RowTargets Finish()
    {
        try
        {
            int count = _visible.Length;
            var keep = new List<int>(count);
            var bounds = new float[4 * count];
            for (int i = 0; i < count; i++)
            {
                double x1 = double.MaxValue, y1 = double.MaxValue, x2 = double.MinValue, y2 = double.MinValue;
                for (int v = 0; v < _vertices[i]; v++)
                {
                    (x1, x2) = (Math.Min(x1, _polygons[i][2 * v]), Math.Max(x2, _polygons[i][2 * v]));
                    (y1, y2) = (Math.Min(y1, _polygons[i][2 * v + 1]), Math.Max(y2, _polygons[i][2 * v + 1]));
                }

                if (_vertices[i] > 0)
                {
                    (bounds[4 * i], bounds[4 * i + 1], bounds[4 * i + 2], bounds[4 * i + 3]) = ((float)x1, (float)y1, (float)x2, (float)y2);
                }

                float bw = bounds[4 * i + 2] - bounds[4 * i], bh = bounds[4 * i + 3] - bounds[4 * i + 1];
                if (bw > 0 && bh > 0 && bw >= _options.MinBoxSize && bh >= _options.MinBoxSize && _visible[i] >= _options.MinVisibility)
                {
                    keep.Add(i);
                }
            }

            bool hasBoxes = _targets?.Boxes is not null;
            int instances = hasBoxes ? keep.Count : _instances;
            var boxes = new float[4 * keep.Count];
            var classes = new int[keep.Count];
            BoundingBoxes? source = _targets?.Boxes;
            string[] fieldNames = source is null ? [] : [.. source.FieldNames];
            var fields = new int[fieldNames.Length][];
            for (int f = 0; f < fields.Length; f++)
            {
                fields[f] = new int[keep.Count];
            }

            float[]? keypoints = _keypoints is null ? null : new float[3 * _perInstance * instances];
            byte[]? instanceMasks = _instanceMasks is null ? null : new byte[keep.Count * _size.Width * _size.Height];
            for (int j = 0; j < keep.Count; j++)
            {
                int i = keep[j];
                bounds.AsSpan(4 * i, 4).CopyTo(boxes.AsSpan(4 * j, 4));
                classes[j] = source!.Classes[i];
                for (int f = 0; f < fields.Length; f++)
                {
                    fields[f][j] = source.Field(fieldNames[f])[i];
                }

                if (keypoints is not null)
                {
                    _keypoints!.AsSpan(3 * _perInstance * i, 3 * _perInstance).CopyTo(keypoints.AsSpan(3 * _perInstance * j));
                }

                if (instanceMasks is not null)
                {
                    int plane = _size.Width * _size.Height;
                    _instanceMasks![i]!.AsSpan<byte>().CopyTo(instanceMasks.AsSpan(plane * j, plane));
                }
            }

            if (keypoints is not null && !hasBoxes)
            {
                _keypoints!.CopyTo(keypoints, 0);
            }

            return new RowTargets
            {
                Boxes = boxes,
                Classes = classes,
                FieldNames = fieldNames,
                Fields = fields,
                Keypoints = keypoints,
                KeypointCount = _perInstance,
                Instances = instances,
                SemanticMask = _semantic is null ? null : _semantic.AsSpan<byte>().ToArray(),
                InstanceMasks = instanceMasks,
                Labels = _targets?.Labels,
                Text = _targets?.Text,
                Geometry = new SampleGeometry(_source, _size, _map),
                Dropped = count - keep.Count,
            };
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Disposes the masks; safe to call more than once.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _semantic, null)?.Dispose();
        Mat?[]? masks = Interlocked.Exchange(ref _instanceMasks, null);
        foreach (Mat? mask in masks ?? [])
        {
            mask?.Dispose();
        }
    }
}

/// <summary>One row's targets once its image is final: what the batch assembler copies into the batch's target tensors.</summary>
internal sealed class RowTargets
{
    public required float[] Boxes { get; init; }

    public required int[] Classes { get; init; }

    public required string[] FieldNames { get; init; }

    public required int[][] Fields { get; init; }

    public float[]? Keypoints { get; init; }

    public int KeypointCount { get; init; }

    /// <summary>Instances: the kept boxes, or the keypoint instances of a dataset without boxes.</summary>
    public int Instances { get; init; }

    public byte[]? SemanticMask { get; init; }

    public byte[]? InstanceMasks { get; init; }

    public IReadOnlyList<int>? Labels { get; init; }

    public string? Text { get; init; }

    public required SampleGeometry Geometry { get; init; }

    public int Dropped { get; init; }
}
