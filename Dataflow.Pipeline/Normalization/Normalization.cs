using System.Globalization;

namespace Dataflow.Pipeline.Normalization;

/// <summary>The memory order of a batch tensor.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channel, height, width] (PyTorch).</summary>
    Nchw,
    /// <summary>[batch, height, width, channel] (Keras, TensorFlow).</summary>
    Nhwc,
}

/// <summary>
/// How 8-bit pixels become floats: <c>out = (pixel × Scale − Mean[c]) / Std[c]</c> per channel.
/// A single mean or std applies to every channel.
/// </summary>
public sealed class NormalizationOptions
{
    /// <summary>Creates a normalization.</summary>
    public NormalizationOptions(float scale, float[] mean, float[] std, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        Scale = scale;
        Mean = mean;
        Std = std;
        Name = name;
    }

    /// <summary>Pixels × 1/255: floats in [0, 1] (Keras <c>Rescaling(1/255)</c>, torchvision <c>ToTensor</c>).</summary>
    public static NormalizationOptions ZeroToOne { get; } = new(1f / 255f, [0f], [1f], "zero-to-one");

    /// <summary>[0, 1] then ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), in RGB order.</summary>
    public static NormalizationOptions ImageNet { get; } = new(1f / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], "imagenet");

    /// <summary>Raw 0–255 minus the Caffe/VGG BGR means (103.939, 116.779, 123.68); pair it with <c>ColorMode.Bgr</c>.</summary>
    public static NormalizationOptions CaffeBgr { get; } = new(1f, [103.939f, 116.779f, 123.68f], [1f], "caffe-bgr");

    /// <summary>Raw 0–255 values as floats.</summary>
    public static NormalizationOptions None { get; } = new(1f, [0f], [1f], "none");

    /// <summary>The preset names, for option parsing.</summary>
    public static IReadOnlyDictionary<string, NormalizationOptions> Presets { get; } = new Dictionary<string, NormalizationOptions>(StringComparer.OrdinalIgnoreCase)
    {
        ["zero-to-one"] = ZeroToOne,
        ["imagenet"] = ImageNet,
        ["caffe-bgr"] = CaffeBgr,
        ["none"] = None,
    };

    /// <summary>Multiplier applied to the 0–255 value first.</summary>
    public float Scale { get; }

    /// <summary>Per-channel mean subtracted after scaling (length 1 or the channel count).</summary>
    public float[] Mean { get; }

    /// <summary>Per-channel divisor applied last (length 1 or the channel count; each &gt; 0).</summary>
    public float[] Std { get; }

    /// <summary>A short name for reports.</summary>
    public string Name { get; }

    /// <summary>True when the normalization changes nothing: scale 1, every mean 0, every std 1 (<see cref="None"/>).</summary>
    public bool IsIdentity => Scale == 1f && Mean.All(m => m == 0f) && Std.All(s => s == 1f);

    /// <summary>The per-channel affine form: out = pixel × A[c] + B[c].</summary>
    internal (double[] A, double[] B) Affine(int channels)
    {
        var a = new double[channels];
        var b = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double mean = Mean.Length == 1 ? Mean[0] : Mean[c];
            double std = Std.Length == 1 ? Std[0] : Std[c];
            a[c] = Scale / std;
            b[c] = -mean / std;
        }

        return (a, b);
    }

    /// <summary>Checks the values against a channel count; throws naming the option.</summary>
    internal void Validate(int channels)
    {
        if (!(Scale > 0) || float.IsInfinity(Scale))
        {
            throw new ArgumentOutOfRangeException("Normalization.Scale", Scale, $"Parameter \"Normalization.Scale\" must be a finite number above 0, was {Scale.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (Mean.Length != 1 && Mean.Length != channels)
        {
            throw new ArgumentException($"Parameter \"Normalization.Mean\" must have 1 or {channels} values for this colour mode, had {Mean.Length}.", "Normalization.Mean");
        }

        if (Std.Length != 1 && Std.Length != channels)
        {
            throw new ArgumentException($"Parameter \"Normalization.Std\" must have 1 or {channels} values for this colour mode, had {Std.Length}.", "Normalization.Std");
        }

        foreach (float s in Std)
        {
            if (!(s > 0) || float.IsInfinity(s))
            {
                throw new ArgumentOutOfRangeException("Normalization.Std", s, $"Parameter \"Normalization.Std\" values must be finite and above 0, was {s.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        foreach (float m in Mean)
        {
            if (!float.IsFinite(m))
            {
                throw new ArgumentOutOfRangeException("Normalization.Mean", m, "Parameter \"Normalization.Mean\" values must be finite.");
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
