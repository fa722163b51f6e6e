using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Samples.Commands;

/// <summary>
/// How every command of both apps spells the library's enum values, on the command line and in its output: one
/// spelling each (<c>rgb</c>, <c>bgr</c>, <c>gray</c>; <c>nearest</c>, <c>bilinear</c>, <c>area</c>, <c>cubic</c>;
/// <c>nchw</c>, <c>nhwc</c> ...).
/// </summary>
public static class EnumSpellings
{
    /// <summary>The <c>--color</c> choices.</summary>
    public static IReadOnlyList<string> Colors { get; } = ["rgb", "bgr", "gray"];

    /// <summary>The <c>--interpolation</c> choices.</summary>
    public static IReadOnlyList<string> Interpolations { get; } = ["nearest", "bilinear", "area", "cubic", "antialiased"];

    /// <summary>The <c>--resize</c> choices: the library's resize modes, and torchvision's evaluation transform (<c>torchvision</c>).</summary>
    public static IReadOnlyList<string> Resizes { get; } = ["stretch", "crop", "letterbox", "torchvision"];

    /// <summary>The <c>--form</c> choices: the library's dataset forms, in its order.</summary>
    public static IReadOnlyList<string> Forms { get; } = [.. Enum.GetValues<DatasetForm>().Select(Of)];

    /// <summary>The dataset form spelled <paramref name="name"/> (one of <see cref="Forms"/>).</summary>
    /// <exception cref="UsageException"><paramref name="name"/> is not one of <see cref="Forms"/>.</exception>
    public static DatasetForm ParseForm(string name) =>
        Enum.GetValues<DatasetForm>().FirstOrDefault(f => Of(f) == name) is var form && Of(form) == name
            ? form
            : throw new UsageException($"--form must be one of {string.Join(", ", Forms)}, was '{name}'.");

    /// <summary>How <paramref name="form"/> is spelled: its name in lower case, words joined by <c>-</c> (<c>class-folders</c>, <c>multi-label-csv</c>).</summary>
    public static string Of(DatasetForm form) => form switch
    {
        DatasetForm.ClassFolders => "class-folders",
        DatasetForm.TFRecord => "tfrecord",
        DatasetForm.MultiLabelCsv => "multi-label-csv",
        _ => form.ToString().ToLowerInvariant(),
    };

    /// <summary>The <c>--layout</c> choices.</summary>
    public static IReadOnlyList<string> Layouts { get; } = ["nchw", "nhwc"];

    /// <summary>The resize mode spelled <paramref name="name"/> (one of <see cref="Resizes"/>).</summary>
    /// <exception cref="UsageException"><paramref name="name"/> is not one of <see cref="Resizes"/>.</exception>
    public static ResizeMode ParseResize(string name) => name switch
    {
        "stretch" => ResizeMode.Stretch,
        "crop" => ResizeMode.CenterCrop,
        "letterbox" => ResizeMode.Letterbox,
        // torchvision's Resize(256) then CenterCrop(224): the shorter side resized, then the centre cropped.
        "torchvision" => ResizeMode.ShorterSideThenCenterCrop,
        _ => throw new UsageException($"--resize must be one of {string.Join(", ", Resizes)}, was '{name}'."),
    };

    /// <summary>The colour mode spelled <paramref name="name"/> (one of <see cref="Colors"/>).</summary>
    /// <exception cref="UsageException"><paramref name="name"/> is not one of <see cref="Colors"/>.</exception>
    public static ColorMode ParseColor(string name) => name switch
    {
        "rgb" => ColorMode.Rgb,
        "bgr" => ColorMode.Bgr,
        "gray" => ColorMode.Grayscale,
        _ => throw new UsageException($"--color must be one of {string.Join(", ", Colors)}, was '{name}'."),
    };

    /// <summary>The interpolation spelled <paramref name="name"/> (one of <see cref="Interpolations"/>).</summary>
    /// <exception cref="UsageException"><paramref name="name"/> is not one of <see cref="Interpolations"/>.</exception>
    public static Interpolation ParseInterpolation(string name) => name switch
    {
        "nearest" => Interpolation.Nearest,
        "bilinear" => Interpolation.Bilinear,
        "area" => Interpolation.Area,
        "cubic" => Interpolation.Cubic,
        "antialiased" => Interpolation.AntialiasedBilinear,
        _ => throw new UsageException($"--interpolation must be one of {string.Join(", ", Interpolations)}, was '{name}'."),
    };

    /// <summary>How <paramref name="color"/> is spelled.</summary>
    public static string Of(ColorMode color) => color switch
    {
        ColorMode.Bgr => "bgr",
        ColorMode.Grayscale => "gray",
        _ => "rgb",
    };

    /// <summary>How <paramref name="resize"/> is spelled.</summary>
    public static string Of(ResizeMode resize) => resize switch
    {
        ResizeMode.CenterCrop => "crop",
        ResizeMode.Letterbox => "letterbox",
        ResizeMode.ShorterSideThenCenterCrop => "torchvision",
        _ => "stretch",
    };

    /// <summary>How <paramref name="interpolation"/> is spelled.</summary>
    public static string Of(Interpolation interpolation) => interpolation switch
    {
        Interpolation.Nearest => "nearest",
        Interpolation.Area => "area",
        Interpolation.Cubic => "cubic",
        Interpolation.AntialiasedBilinear => "antialiased",
        _ => "bilinear",
    };

    /// <summary>How <paramref name="layout"/> is spelled.</summary>
    public static string Of(TensorLayout layout) => layout == TensorLayout.Nhwc ? "nhwc" : "nchw";
}
