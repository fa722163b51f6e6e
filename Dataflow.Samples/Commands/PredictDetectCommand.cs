using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Data;
using Dataflow.Samples.Output;
using Dataflow.Samples.Training;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>predict-detect</c>: runs a detector saved by <c>train-detect --save</c> over a folder of images (no annotations needed)
/// through the pipeline, with the inputs it was trained on (its size, colour, resize and normalization, kept in the file),
/// and writes each image's boxes, classes and scores in the image's own pixels, mapped back with each row's map.
/// </summary>
public static class PredictDetectCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var model = new Option<string>("--model") { Description = "The detector's weights, as train-detect --save writes them.", HelpName = "FILE", Required = true };
        var data = new Option<string>("--data") { Description = "The folder of images to predict on (the image files directly in it).", HelpName = "DIR", Required = true };
        var output = new Option<string>("--out") { Description = "The JSON file of each image's boxes in its own pixels.", HelpName = "FILE", DefaultValueFactory = _ => "detections.json" };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 8 }.InRange(1, 4096);
        var json = JsonOption.Create();
        var command = new Command("predict-detect", "Predict boxes with a detector saved by train-detect --save over a folder of images; the boxes in each image's own pixels.");
        foreach (Option option in new Option[] { model, data, output, batchSize, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            GridDetector detector = TrainDetectCommand.Read(parse.GetValue(model)!, "--model");
            string folder = FolderOption.Require(parse.GetValue(data)!, "--data");
            string outPath = OutputFile.Probe(parse.GetValue(output)!, "--out");
            return await RunAsync(environment, detector, folder, outPath, parse.GetValue(batchSize), parse.GetValue(json), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CommandEnvironment environment, GridDetector detector, string folder, string outPath, int batchSize, bool json, CancellationToken cancellationToken)
    {
        string Kept(string key) => detector.Metadata.TryGetValue(key, out string? value) ? value
            : throw new UsageException($"--model: the file does not say how its inputs were made ({key}): save it again with train-detect --save.");
        string[] classNames = Kept(TrainDetectCommand.MetadataKeys.Classes).Split('\n');
        int[] shape = detector.InputShape;
        // The evaluation options train-detect scores with: the same size, colour, resize and normalization, no augmentation.
        using var dataset = new DatasetLocation(folder, IsEmbedded: false);
        var settings = new PipelineSettings
        {
            Dataset = dataset,
            Size = new ImageSize(shape[2], shape[1]),
            Resize = EnumSpellings.ParseResize(Kept(TrainDetectCommand.MetadataKeys.Resize)),
            Color = EnumSpellings.ParseColor(Kept(TrainDetectCommand.MetadataKeys.Color)),
            Seed = 0,
            ValidationSplit = 0,
            BatchSize = batchSize,
            Epochs = 1,
            AugmentName = "none",
            Augmentations = [],
            Normalization = NormalizationOptions.Presets[Kept(TrainDetectCommand.MetadataKeys.Normalization)],
        };
        var images = new List<ImageDetections>();
        int boxes = 0;
        ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(settings.For(Subset.Training, epochs: 1, forEvaluation: true)).UseSource(new ImageFileSource(classNames));
        await using (ImagePipeline pipeline = builder.BuildStream(cancellationToken))
        {
            pipeline.Post(folder);
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (batch)
                {
                    for (int r = 0; r < batch.Count; r++)
                    {
                        Dataflow.Pipeline.Targets.SampleGeometry geometry = batch.Targets!.Geometry[r];
                        (float[][] found, int[] classes, float[] scores) = TrainDetectCommand.InSource(geometry, detector.Predict(batch.Row(r)));
                        images.Add(new ImageDetections(batch.Paths[r], geometry.Source.Width, geometry.Source.Height, found, classes, [.. classes.Select(c => classNames[c])], scores));
                        boxes += found.Length;
                    }
                }
            }

            await pipeline.Completion.ConfigureAwait(false);
            OutputFile.Write(outPath, "--out", stream => System.Text.Json.JsonSerializer.Serialize(stream, new { Images = images }, Json.Options));
            if (json)
            {
                Json.Write(environment.Out, new { Command = "predict-detect", Data = folder, Model = detector.ToString(), Images = images.Count, Boxes = boxes, Skipped = pipeline.Report.Skipped.Count, DetectionsTo = outPath });
                return ExitCodes.Success;
            }

            environment.Console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"predict-detect with {detector} on {folder}: {boxes} boxes in {images.Count} images ({pipeline.Report.Skipped.Count} skipped), in their own pixels, to {outPath}")));
        }

        return ExitCodes.Success;
    }

    /// <summary>One image's detections in its own pixels.</summary>
    private sealed record ImageDetections(string Image, int Width, int Height, float[][] Boxes, int[] Classes, string[] ClassNames, float[] Scores);
}
