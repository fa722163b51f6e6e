using System.CommandLine;
using Dataflow.Samples.Generators;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary><c>make-detection</c>: writes a COCO detection dataset of embedded digits on canvases (<see cref="DetectionCanvases"/>).</summary>
public static class MakeDetectionCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var defaults = new DetectionCanvasOptions();
        var output = new Option<string>("--out") { Description = "The folder to write (annotations/instances_train.json and train/*.png); created if absent.", HelpName = "DIR", Required = true };
        var images = new Option<int>("--images") { Description = "Canvases to write.", DefaultValueFactory = _ => defaults.Images }.InRange(1, 1_000_000);
        var size = new Option<ImageSize?>("--canvas")
        {
            Description = $"Canvas size WIDTHxHEIGHT. Default: {defaults.Width}x{defaults.Height}.",
            HelpName = "WxH",
            CustomParser = result => ImageSize.TryParse(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, out ImageSize parsed) && parsed is { Width: >= 1 and <= 16_384, Height: >= 1 and <= 16_384 } ? parsed : Fail(result),
        };
        var digits = new Option<int>("--max-digits") { Description = "The most digits per canvas (at least 1 each).", DefaultValueFactory = _ => defaults.MaxDigits }.InRange(1, 64);
        var minSize = new Option<int>("--min-size") { Description = "The smallest digit side in pixels.", DefaultValueFactory = _ => defaults.MinSize }.InRange(4, 16_384);
        var maxSize = new Option<int>("--max-size") { Description = "The largest digit side in pixels.", DefaultValueFactory = _ => defaults.MaxSize }.InRange(4, 16_384);
        var seed = new Option<long>("--seed") { Description = "Seed of every choice: the same seed writes the same files.", DefaultValueFactory = _ => 42 };
        var json = JsonOption.Create();
        var command = new Command("make-detection", "Write a COCO detection dataset: embedded digits at random places and sizes on black canvases, a box and a class (0-9) each.")
        {
            output, images, size, digits, minSize, maxSize, seed, json,
        };
        command.SetAction((parse, _) =>
        {
            ImageSize canvas = parse.GetValue(size) ?? new ImageSize(defaults.Width, defaults.Height);
            var options = new DetectionCanvasOptions
            {
                Images = parse.GetValue(images),
                Width = canvas.Width,
                Height = canvas.Height,
                MaxDigits = parse.GetValue(digits),
                MinSize = parse.GetValue(minSize),
                MaxSize = parse.GetValue(maxSize),
                Seed = parse.GetValue(seed),
            };
            if (options.MaxSize < options.MinSize || Math.Min(canvas.Width, canvas.Height) < options.MinSize)
            {
                throw new UsageException($"--min-size {options.MinSize} must be at most --max-size ({options.MaxSize}) and the canvas's shorter side ({Math.Min(canvas.Width, canvas.Height)}).");
            }

            string folder = Path.GetFullPath(parse.GetValue(output)!);
            if (File.Exists(folder))
            {
                throw new UsageException($"--out: '{folder}' is a file, not a folder.");
            }

            int boxes = DetectionCanvases.Write(folder, options);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new { Command = "make-detection", Folder = folder, options.Images, Boxes = boxes, Annotations = Path.Combine(folder, DetectionCanvases.AnnotationPath) });
            }
            else
            {
                environment.Console.MarkupLine(Markup.Escape($"wrote {options.Images} canvases of {canvas} with {boxes} digits into {folder} (train with: train-detect --data {folder})"));
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static ImageSize? Fail(System.CommandLine.Parsing.ArgumentResult result)
    {
        result.AddError($"--canvas must be WIDTHxHEIGHT with both between 1 and 16384 (for example 96x64), was '{(result.Tokens.Count > 0 ? result.Tokens[0].Value : "")}'.");
        return null;
    }
}
