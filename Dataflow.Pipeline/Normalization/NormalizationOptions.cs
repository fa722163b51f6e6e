using System.Collections.Immutable;
using System.Globalization;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline.Normalization;

/// <summary>
/// How 8-bit pixels become floats: <c>out = (pixel × Scale − Mean[colour]) / Std[colour]</c> per channel.
/// A single mean or std applies to every channel. Immutable: the presets are shared by every pipeline of the process.
/// </summary>
/// <remarks>
/// Per-channel values belong to colours, not to channel positions: <see cref="ChannelOrder"/> says which colour each
/// value is for (<see cref="ImageNet"/> lists red, green, blue; <see cref="CaffeBgr"/> blue, green, red). A pipeline
/// applies each value to the channel of its colour whatever its <see cref="PipelineOptions.ColorMode"/>, so
/// ImageNet's red mean reaches the red channel in a BGR tensor too.
/// </remarks>
public sealed class NormalizationOptions
{
    /// <summary>Creates a normalization.</summary>
    /// <param name="scale">Multiplier applied to the 0–255 value first.</param>
    /// <param name="mean">One mean, or one per colour in <paramref name="channelOrder"/>.</param>
    /// <param name="std">One std, or one per colour in <paramref name="channelOrder"/>.</param>
    /// <param name="name">A short name for reports.</param>
    /// <param name="channelOrder">The colour order of per-channel <paramref name="mean"/> and <paramref name="std"/>:
    /// <see cref="ColorMode.Rgb"/> (as torchvision and Keras publish them) or <see cref="ColorMode.Bgr"/>.</param>
    /// <remarks>The values are copied; they are checked when a pipeline or a <see cref="Normalizer"/> is built.</remarks>
    public NormalizationOptions(float scale, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, string name = "custom", ColorMode channelOrder = ColorMode.Rgb)
    {
        Scale = scale;
        Mean = [.. mean];
        Std = [.. std];
        Name = name ?? "custom";
        ChannelOrder = channelOrder;
    }

    /// <summary>Pixels × 1/255: floats in [0, 1] (Keras <c>Rescaling(1/255)</c>, torchvision <c>ToTensor</c>).</summary>
    public static NormalizationOptions ZeroToOne { get; } = new(1f / 255f, [0f], [1f], "zero-to-one");

    /// <summary>[0, 1] then ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) of red, green, blue.</summary>
    /// <remarks>With <see cref="ColorMode.Bgr"/> the values still go to their colours: 0.406 and 0.225 to the first (blue) channel.</remarks>
    public static NormalizationOptions ImageNet { get; } = new(1f / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], "imagenet", ColorMode.Rgb);

    /// <summary>Raw 0–255 minus the Caffe/VGG means of blue, green, red (103.939, 116.779, 123.68); Caffe models read <c>ColorMode.Bgr</c>.</summary>
    /// <remarks>With <see cref="ColorMode.Rgb"/> the values still go to their colours: 123.68 to the first (red) channel.</remarks>
    public static NormalizationOptions CaffeBgr { get; } = new(1f, [103.939f, 116.779f, 123.68f], [1f], "caffe-bgr", ColorMode.Bgr);

    /// <summary>Raw 0–255 values as floats.</summary>
    public static NormalizationOptions None { get; } = new(1f, [0f], [1f], "none");

    /// <summary>The preset names, for option parsing.</summary>
    public static IReadOnlyDictionary<string, NormalizationOptions> Presets { get; } = new Dictionary<string, NormalizationOptions>(StringComparer.OrdinalIgnoreCase)
    {
        ["zero-to-one"] = ZeroToOne,
        ["imagenet"] = ImageNet,
        ["caffe-bgr"] = CaffeBgr,
        ["none"] = None,
    }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Multiplier applied to the 0–255 value first.</summary>
    public float Scale { get; }

    /// <summary>Mean subtracted after scaling: one value, or one per colour in <see cref="ChannelOrder"/>.</summary>
    public ImmutableArray<float> Mean { get; }

    /// <summary>Divisor applied last: one value, or one per colour in <see cref="ChannelOrder"/> (each &gt; 0).</summary>
    public ImmutableArray<float> Std { get; }

    /// <summary>The colour order of per-channel <see cref="Mean"/> and <see cref="Std"/> values.</summary>
    /// <value><see cref="ColorMode.Rgb"/> unless given; <see cref="CaffeBgr"/> is <see cref="ColorMode.Bgr"/>.</value>
    public ColorMode ChannelOrder { get; }

    /// <summary>A short name for reports.</summary>
    public string Name { get; }

    /// <summary>True when the normalization changes nothing: scale 1, every mean 0, every std 1 (<see cref="None"/>).</summary>
    public bool IsIdentity => Scale == 1f && All(Mean, static m => m == 0f) && All(Std, static s => s == 1f);

    /// <summary>The same normalization with its per-channel values listed in <paramref name="order"/>.</summary>
    /// <returns>This instance when nothing moves (the same order, single values, or a gray image); otherwise a copy
    /// whose <see cref="Mean"/> and <see cref="Std"/> are reversed and whose <see cref="ChannelOrder"/> is <paramref name="order"/>.</returns>
    public NormalizationOptions InChannelOrder(ColorMode order)
    {
        if (order == ChannelOrder || order is not (ColorMode.Rgb or ColorMode.Bgr) || ChannelOrder is not (ColorMode.Rgb or ColorMode.Bgr)
            || (Mean.Length != 3 && Std.Length != 3))
        {
            return this;
        }

        return new NormalizationOptions(Scale, Reversed(Mean), Reversed(Std), Name, order);

        static float[] Reversed(ImmutableArray<float> values) => values.Length == 3 ? [values[2], values[1], values[0]] : [.. values];
    }

    /// <summary>The per-channel affine form, by channel position: out = pixel × A[c] + B[c].</summary>
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

    /// <summary>Checks the values against a channel count; throws every failure at once, naming the options.</summary>
    /// <exception cref="PipelineOptionsException">A value is invalid.</exception>
    internal void Validate(int channels)
    {
        var checks = new OptionChecks();
        Check(channels, checks);
        checks.ThrowIfAny();
    }

    /// <summary>Adds a failure to <paramref name="checks"/> for each invalid value.</summary>
    internal void Check(int channels, OptionChecks checks)
    {
        const string Prefix = nameof(PipelineOptions.Normalization) + ".";
        if (!(Scale > 0) || float.IsInfinity(Scale))
        {
            checks.Add(Prefix + nameof(Scale), $"Parameter \"{Prefix}{nameof(Scale)}\" must be a finite number above 0, was {Format(Scale)}.");
        }

        CheckValues(Mean, Prefix + nameof(Mean), channels, float.IsFinite, "finite", checks);
        CheckValues(Std, Prefix + nameof(Std), channels, s => s > 0 && float.IsFinite(s), "finite and above 0", checks);
        if (ChannelOrder is not (ColorMode.Rgb or ColorMode.Bgr))
        {
            checks.Add(Prefix + nameof(ChannelOrder), $"Parameter \"{Prefix}{nameof(ChannelOrder)}\" must be one of Rgb, Bgr, was {ChannelOrder}.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static void CheckValues(ImmutableArray<float> values, string name, int channels, Func<float, bool> valid, string rule, OptionChecks checks)
    {
        if (values.Length != 1 && values.Length != channels)
        {
            string allowed = channels == 1 ? "1 value for a 1-channel (Grayscale) image" : $"1 or {channels} values for a {channels}-channel image";
            checks.Add(name, $"Parameter \"{name}\" must have {allowed}, had {values.Length}.");
        }

        if (!All(values, valid))
        {
            checks.Add(name, $"Parameter \"{name}\" values must be {rule}, was [{string.Join(", ", values.Select(Format))}].");
        }
    }

    private static string Format(float value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether every value satisfies <paramref name="predicate"/> (a loop over the values: LINQ's <c>All</c> over
    /// an immutable array of floats is generic code compiled at start-up).</summary>
    private static bool All(ImmutableArray<float> values, Func<float, bool> predicate)
    {
        foreach (float v in values.AsSpan())
        {
            if (!predicate(v))
            {
                return false;
            }
        }

        return true;
    }
}
