using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The augmentation options: <c>--augment</c> picks one of the library's <see cref="AugmentationPresets"/>, and one
/// option per transform that makes sense on a command line adds that transform to it.
/// </summary>
/// <remarks>
/// The list is built in a fixed order: <c>--crop-scale</c> first (it replaces a preset's random resized crop, and
/// stays first so the pipeline fuses it with the decoder's resize), then the preset's transforms, then
/// <c>--flip</c>, <c>--vflip</c>, <c>--rotate</c>, <c>--jitter</c>, <c>--grayscale</c>, <c>--blur</c>, <c>--erase</c>.
/// <c>--mixup</c> and <c>--cutmix</c> add batch-level augmentations (one of the two per batch when both are given, as
/// torchvision's reference recipe does).
/// </remarks>
public sealed class AugmentationArguments
{
    /// <summary>Declares the options and their parse-time checks.</summary>
    public AugmentationArguments()
    {
        Preset.OneOf(AugmentationPresets.Names);

        // The command's own bounds, narrower than the transforms': one V for three factors, and a kernel of at most 255.
        // The other values are checked by the transforms themselves, their failures named by flag (Create).
        Jitter.Between(0, 1);
        Blur.Between(0.1, 20);
    }

    /// <summary><c>--augment NAME</c>: a preset.</summary>
    public Option<string> Preset { get; } = new("--augment")
    {
        Description = "Augmentation of training images (never of validation images): none; flip (horizontal flip, p=0.5); "
            + "light (small rotation, shift and scale, brightness and contrast: safe for digits); "
            + "imagenet (random resized crop fused with the resize, flip, colour jitter 0.4); "
            + "randaugment, trivialaugment, autoaugment (torchvision's automatic policies, ImageNet's for autoaugment). Options below add to it.",
        DefaultValueFactory = _ => "none",
        HelpName = "NAME",
    };

    /// <summary><c>--crop-scale MIN</c>: a random resized crop of MIN to all of the image's area.</summary>
    public Option<double?> CropScale { get; } = new("--crop-scale")
    {
        Description = "Random resized crop keeping MIN to 1 of the image's area (aspect 3/4 to 4/3), fused with the resize.",
        HelpName = "MIN",
    };

    /// <summary><c>--flip P</c>: a horizontal flip with probability P.</summary>
    public Option<double?> Flip { get; } = new("--flip") { Description = "Horizontal flip with probability P.", HelpName = "P" };

    /// <summary><c>--vflip P</c>: a vertical flip with probability P.</summary>
    public Option<double?> VerticalFlip { get; } = new("--vflip") { Description = "Vertical flip with probability P.", HelpName = "P" };

    /// <summary><c>--rotate DEG</c>: a rotation by up to DEG degrees either way.</summary>
    public Option<double?> Rotate { get; } = new("--rotate") { Description = "Rotation by a random angle of up to DEG degrees either way.", HelpName = "DEG" };

    /// <summary><c>--jitter V</c>: brightness, contrast and saturation jitter.</summary>
    public Option<double?> Jitter { get; } = new("--jitter") { Description = "Colour jitter: brightness, contrast and saturation factors in [1-V, 1+V].", HelpName = "V" };

    /// <summary><c>--grayscale P</c>: grayscale with probability P.</summary>
    public Option<double?> Grayscale { get; } = new("--grayscale") { Description = "Grayscale with probability P.", HelpName = "P" };

    /// <summary><c>--blur SIGMA</c>: a Gaussian blur of sigma 0.1 to SIGMA pixels.</summary>
    public Option<double?> Blur { get; } = new("--blur") { Description = "Gaussian blur with a random sigma of 0.1 to SIGMA pixels.", HelpName = "SIGMA" };

    /// <summary><c>--erase P</c>: random erasing with probability P.</summary>
    public Option<double?> Erase { get; } = new("--erase") { Description = "Random erasing (cutout) of 2 to 33 % of the image with probability P.", HelpName = "P" };

    /// <summary><c>--mixup ALPHA</c>: MixUp of every training batch with λ ~ Beta(ALPHA, ALPHA).</summary>
    public Option<double?> MixUp { get; } = new("--mixup")
    {
        Description = "MixUp of each training batch (rows and labels blended with the previous row's), lambda ~ Beta(ALPHA, ALPHA); 0.2 to 1 is usual.",
        HelpName = "ALPHA",
    };

    /// <summary><c>--cutmix ALPHA</c>: CutMix of every training batch with λ ~ Beta(ALPHA, ALPHA).</summary>
    public Option<double?> CutMix { get; } = new("--cutmix")
    {
        Description = "CutMix of each training batch (a box pasted from the previous row, labels mixed by its area), lambda ~ Beta(ALPHA, ALPHA). "
            + "With --mixup too, one of the two per batch.",
        HelpName = "ALPHA",
    };

    private IEnumerable<Option> All => [Preset, CropScale, Flip, VerticalFlip, Rotate, Jitter, Grayscale, Blur, Erase, MixUp, CutMix];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The augmentations the parsed options stand for, and a short name for reports (the preset, then each addition).</summary>
    public (IReadOnlyList<IAugmentation> Augmentations, string Name) Create(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        string preset = parse.GetValue(Preset) ?? "none";
        var list = new List<IAugmentation>(AugmentationPresets.Get(preset));
        var name = new List<string> { preset };
        if (parse.GetValue(CropScale) is double scale)
        {
            list.RemoveAll(a => a is RandomResizedCrop);
            list.Insert(0, Made(CropScale, () => new RandomResizedCrop(scale: (scale, 1))));
            name.Add(Describe(CropScale, scale));
        }

        Add(parse, Flip, p => new RandomHorizontalFlip(p), list, name);
        Add(parse, VerticalFlip, p => new RandomVerticalFlip(p), list, name);
        Add(parse, Rotate, d => new RandomRotation(d), list, name);
        Add(parse, Jitter, v => new ColorJitter(brightness: v, contrast: v, saturation: v), list, name);
        Add(parse, Grayscale, p => new RandomGrayscale(p), list, name);
        Add(parse, Blur, s => new GaussianBlur(BlurKernel(s), (Math.Min(0.1, s), s)), list, name);
        Add(parse, Erase, p => new RandomErasing(p), list, name);
        foreach (Option<double?> alpha in (Option<double?>[])[MixUp, CutMix])
        {
            if (parse.GetValue(alpha) is double value)
            {
                name.Add(Describe(alpha, value));
            }
        }

        return (list, string.Join(' ', name));
    }

    /// <summary>The batch-level augmentations the parsed options stand for: MixUp, CutMix, or one of the two per batch.</summary>
    public IReadOnlyList<IBatchAugmentation> CreateBatch(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        IBatchAugmentation[] chosen =
        [
            .. parse.GetValue(MixUp) is double mixup ? [Made(MixUp, () => new MixUp(mixup))] : Array.Empty<IBatchAugmentation>(),
            .. parse.GetValue(CutMix) is double cutmix ? [Made(CutMix, () => new CutMix(cutmix))] : Array.Empty<IBatchAugmentation>(),
        ];
        return chosen.Length switch
        {
            0 => [],
            1 => chosen,
            _ => [new BatchOneOf(chosen)],
        };
    }

    /// <summary>The odd kernel side that holds ±3 sigma, at most 255.</summary>
    internal static int BlurKernel(double sigma) => Math.Min(255, 2 * (int)Math.Ceiling(3 * sigma) + 1);

    private static void Add(ParseResult parse, Option<double?> option, Func<double, IAugmentation> create, List<IAugmentation> list, List<string> name)
    {
        if (parse.GetValue(option) is double value)
        {
            list.Add(Made(option, () => create(value)));
            name.Add(Describe(option, value));
        }
    }

    /// <summary>What <paramref name="create"/> makes; a value the transform refuses is reported naming <paramref name="option"/>.</summary>
    private static T Made<T>(Option option, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException e) when (e.ParamName is not null)
        {
            throw new UsageException(LibraryOptionFailures.Describe(e, option.Name));
        }
    }

    private static string Describe(Option option, double value) => string.Create(CultureInfo.InvariantCulture, $"{option.Name} {value}");
}
