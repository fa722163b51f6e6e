using System.Globalization;
using OpenCvSharp;

namespace Dataflow.Pipeline.Targets;

/// <summary>
/// The keypoints of one image in its source pixels: for each of <see cref="InstanceCount"/> instances, <see cref="KeypointCount"/>
/// points of three numbers (x, y, visibility). Immutable.
/// </summary>
/// <remarks>
/// <para>Visibility follows COCO: 0 not labelled (x and y are then meaningless), 1 labelled but hidden, 2 labelled and visible.
/// The pipeline sets it to 0 (leaving x and y where they were) for a point a transform moves outside the image.</para>
/// <para>When an image has both boxes and keypoints, instance i is the object of box i: a box the pipeline drops takes its
/// keypoints with it.</para>
/// </remarks>
public sealed class Keypoints
{
    private readonly float[] _values;

    /// <summary>Creates the keypoints of one image.</summary>
    /// <param name="values">(x, y, visibility) for each keypoint of each instance: 3 × <paramref name="instances"/> × <paramref name="perInstance"/> numbers.</param>
    /// <param name="instances">The number of instances.</param>
    /// <param name="perInstance">The number of keypoints per instance (the dataset's <see cref="TargetSchema.KeypointNames"/>).</param>
    /// <param name="normalized">True when x and y are divided by the image's width and height.</param>
    /// <exception cref="ArgumentException">The length disagrees with the counts, a number is not finite, or a visibility is not 0, 1
    /// or 2. The message names the instance and the keypoint.</exception>
    public Keypoints(ReadOnlySpan<float> values, int instances, int perInstance, bool normalized = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(instances);
        ArgumentOutOfRangeException.ThrowIfNegative(perInstance);
        if ((long)values.Length != 3L * instances * perInstance)
        {
            throw new ArgumentException($"Keypoints take 3 numbers each (x, y, visibility): {values.Length} numbers for {instances} instances of {perInstance}.", nameof(values));
        }

        for (int i = 0; i < values.Length; i += 3)
        {
            float v = values[i + 2];
            if (!float.IsFinite(values[i]) || !float.IsFinite(values[i + 1]) || v is not (0 or 1 or 2))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Instance {i / 3 / perInstance} keypoint {i / 3 % perInstance} is ({values[i]}, {values[i + 1]}, {v}): x and y must be finite and the visibility 0, 1 or 2."), nameof(values));
            }
        }

        _values = values.ToArray();
        InstanceCount = instances;
        KeypointCount = perInstance;
        Normalized = normalized;
    }

    /// <summary>The number of instances.</summary>
    public int InstanceCount { get; }

    /// <summary>The number of keypoints of each instance.</summary>
    public int KeypointCount { get; }

    /// <summary>True when x and y are normalized to [0, 1] by the image's width and height.</summary>
    public bool Normalized { get; }

    /// <summary>(x, y, visibility) per keypoint, instance after instance.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The keypoints with x and y in pixels of an <paramref name="image"/>-sized image (a new array).</summary>
    public float[] ToPixels(Size image)
    {
        float[] pixels = (float[])_values.Clone();
        if (Normalized)
        {
            for (int i = 0; i < pixels.Length; i += 3)
            {
                pixels[i] *= image.Width;
                pixels[i + 1] *= image.Height;
            }
        }

        return pixels;
    }

    /// <inheritdoc />
    public override string ToString() => $"{InstanceCount} instances of {KeypointCount} keypoints";
}
