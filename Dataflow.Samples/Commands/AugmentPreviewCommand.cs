using System.CommandLine;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Samples.Data;
using Dataflow.Samples.Preview;
using OpenCvSharp;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The <c>augment-preview</c> command: writes the pictures of <c>docs/augmentation.md</c>, one PNG strip per
/// transform (the same image augmented for several epochs through the real pipeline; one picture for the
/// deterministic centre crop) and the un-augmented source; and, for the batch-level augmentations, the first batch of a
/// dataset (<c>--data</c>, the embedded digits by default) without and with MixUp and CutMix.
/// </summary>
public static class AugmentPreviewCommand
{
    /// <summary>The batch-level augmentations pictured in <c>docs/augmentation.md</c>, by file name.</summary>
    public static IReadOnlyList<(string Name, IBatchAugmentation Mix)> MixedBatches { get; } =
    [
        ("mixup", new MixUp(alpha: 1.0)),
        ("cutmix", new CutMix(alpha: 1.0)),
    ];

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var image = new Option<string>("--image") { Description = "The source image.", Required = true, HelpName = "FILE" };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs.", DefaultValueFactory = _ => "docs/images/augmentation", HelpName = "DIR" };
        var size = new Option<int>("--size") { Description = "Side of each picture in pixels.", DefaultValueFactory = _ => 128 };
        var count = new Option<int>("--count") { Description = "Pictures per transform (epochs).", DefaultValueFactory = _ => 4 };
        var seed = new Option<long>("--seed") { Description = "The pipeline's seed.", DefaultValueFactory = _ => 0 };
        var batchSeed = new Option<long>("--batch-seed")
        {
            Description = "The pipeline's seed for the mixed-batch pictures (4: lambdas of about 2/3 in the first batch, so the mixing shows).",
            DefaultValueFactory = _ => 4,
        };
        var data = new Option<string?>("--data")
        {
            Description = "Dataset root for the mixed-batch pictures (MixUp, CutMix). Default: the embedded handwritten digits.",
            HelpName = "DIR",
        };
        size.InRange(16, 1024);
        count.InRange(1, 16);
        var command = new Command("augment-preview", "Write a picture of every built-in augmentation's effect on one image (the pictures of docs/augmentation.md).")
        {
            image, output, size, count, seed, data, batchSeed,
        };
        command.SetAction(async (parse, ct) =>
        {
            string path = parse.GetValue(image)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"--image: the file '{path}' does not exist.");
            }

            byte[] bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
            string folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            int side = parse.GetValue(size);
            IEnumerable<(string Name, IReadOnlyList<IAugmentation> List, int Count)> pictures =
                [("source", [], 1), .. AugmentationStrip.DocsCatalogue.Select(e => (e.Name, (IReadOnlyList<IAugmentation>)[e.Augmentation], e.Augmentation is CenterCrop ? 1 : parse.GetValue(count)))];
            foreach (var (name, list, n) in pictures)
            {
                using Mat strip = await AugmentationStrip.RenderAsync(bytes, list, side, n, parse.GetValue(seed), ct).ConfigureAwait(false);
                string file = Path.Combine(folder, name + ".png");
                Cv2.ImWrite(file, strip, [(int)ImwriteFlags.PngCompression, 9]);
                environment.Out.WriteLine($"{file}  {(list.Count == 0 ? "source" : list[0].ToString())}");
            }

            DatasetLocation dataset = DatasetLocation.Resolve(parse.GetValue(data), environment);
            int batchSide = dataset.IsEmbedded ? EmbeddedDigits.CellSize : 64;
            foreach (var (name, mix) in MixedBatches)
            {
                (Mat sheet, string firstLabel) = await MixedBatchSheet.RenderAsync(dataset.Root, mix, batchSide, 96, parse.GetValue(batchSeed), ct).ConfigureAwait(false);
                using (sheet)
                {
                    string file = Path.Combine(folder, name + ".png");
                    Cv2.ImWrite(file, sheet, [(int)ImwriteFlags.PngCompression, 9]);
                    environment.Out.WriteLine($"{file}  {mix}, first row {firstLabel}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
