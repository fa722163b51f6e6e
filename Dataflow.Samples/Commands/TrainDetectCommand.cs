using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Targets;
using Dataflow.Samples.Output;
using Dataflow.Samples.Training;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>train-detect</c>: trains a <see cref="GridDetector"/> on a dataset with boxes (a COCO file or folder, such as
/// <c>make-detection</c> writes) through the pipeline, and scores it on the held-out split with <see cref="BoxMetrics"/>
/// (mAP@0.5, and precision, recall and F1 at IoU 0.5). <c>--predict FILE</c> writes the held-out images' boxes in their
/// source pixels, mapped back with each row's <see cref="SampleGeometry"/>. <c>--save FILE</c> writes the trained weights;
/// <c>--load FILE</c> starts from them, and with <c>--epochs 0</c> only scores and predicts with them, as <c>train</c>'s options.
/// </summary>
/// <remarks>Defaults: 48×48 gray, letterboxed (the aspect is kept, so boxes keep their shape), RandomResizedCrop of
/// scale 0.7 to 1 (objects move and change size, none is lost to a tight crop). No flips by default: a mirrored digit is not
/// a digit (a 2 or a 7 becomes a shape the classes do not hold); <c>--flip P</c> adds them.</remarks>
public static class TrainDetectCommand
{
    /// <summary>The tensor size for a dataset when <c>--size</c> is not given.</summary>
    public static ImageSize DefaultSize { get; } = new(48, 48);

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var pipeline = new PipelineArguments(defaultEpochs: 30, minEpochs: 0, folderSize: DefaultSize);
        // Small batches: the head learns from a few objects per image, and more steps per epoch matter more than larger batches' smoother gradients.
        pipeline.BatchSize.DefaultValueFactory = _ => 8;
        pipeline.Resize.DefaultValueFactory = _ => "letterbox";
        pipeline.Color.DefaultValueFactory = _ => "gray";
        pipeline.Augmentation.CropScale.DefaultValueFactory = _ => 0.7;
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of the detector's head.", DefaultValueFactory = _ => 48 }.InRange(1, 4096);
        var learningRate = new Option<float>("--learning-rate") { Description = "Peak Adam step size, decayed along a half cosine to 0.", DefaultValueFactory = _ => 0.003f }.InRange(1e-6f, 10f);
        var momentum = new Option<float>("--momentum") { Description = "Adam's β1 (the decay of the gradient's running mean).", DefaultValueFactory = _ => 0.9f }.InRange(0f, 0.999f);
        var weightDecay = new Option<float>("--weight-decay") { Description = "Decoupled weight decay (AdamW) on the weights.", DefaultValueFactory = _ => 1e-4f }.InRange(0f, 1f);
        var predict = new Option<string?>("--predict") { Description = "Write the held-out images' predicted boxes (and their ground truth) in source pixels to this JSON file.", HelpName = "FILE" };
        var save = new Option<string?>("--save") { Description = "Write the trained detector's weights to this file (read back by --load).", HelpName = "FILE" };
        var load = new Option<string?>("--load") { Description = "Start from the detector weights in this file (with --epochs 0: only score and predict with them; --hidden is the file's).", HelpName = "FILE" };
        var json = JsonOption.Create();
        var command = new Command("train-detect", "Train a small grid detector on a dataset with boxes (COCO; see make-detection) and report mAP@0.5 on the held-out split; --epochs 0 scores the untrained model.");
        pipeline.AddTo(command);
        foreach (Option option in new Option[] { hidden, learningRate, momentum, weightDecay, predict, save, load, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(pipeline.Data) is null)
            {
                throw new UsageException("train-detect needs a dataset with boxes: --data DIR (a COCO file or folder; make-detection --out DIR writes one).");
            }

            PipelineSettings settings = pipeline.Resolve(parse, environment);
            if (settings.Size.Width % GridDetector.CellSize != 0 || settings.Size.Height % GridDetector.CellSize != 0)
            {
                throw new UsageException($"--size must be whole cells of {GridDetector.CellSize} pixels for the detector, was {settings.Size}.");
            }

            string? predictPath = parse.GetValue(predict) is string p ? OutputFile.Probe(p, "--predict") : null;
            string? savePath = parse.GetValue(save) is string s ? OutputFile.Probe(s, "--save") : null;
            (GridDetector Model, string Path)? loaded = parse.GetValue(load) is string l ? (Load(l, settings), Path.GetFullPath(l)) : null;
            var run = new DetectionSettings(parse.GetValue(hidden), parse.GetValue(learningRate), parse.GetValue(momentum), parse.GetValue(weightDecay));
            return await RunAsync(environment, settings, run, new DetectionFiles(predictPath, savePath, loaded), parse.GetValue(json), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private sealed record DetectionSettings(int Hidden, float LearningRate, float Momentum, float WeightDecay);

    /// <summary>The files a run writes and reads: predictions, the saved weights, and the loaded detector with its path.</summary>
    private sealed record DetectionFiles(string? Predict, string? Save, (GridDetector Model, string Path)? Loaded);

    private static async Task<int> RunAsync(CommandEnvironment environment, PipelineSettings settings, DetectionSettings training, DetectionFiles files, bool json, CancellationToken cancellationToken)
    {
        string? predictPath = files.Predict;
        IAnsiConsole console = environment.Console;
        var clock = Stopwatch.StartNew();
        if (!json)
        {
            console.MarkupLine(Markup.Escape($"train-detect on {settings.Dataset.DisplayName}"));
            console.MarkupLine(Markup.Escape($"  pipeline: {settings}, validation split {settings.ValidationSplit.ToString(CultureInfo.InvariantCulture)}, {settings.Epochs} epochs"));
        }

        GridDetector? model = files.Loaded?.Model;
        string[]? classNames = null;
        var epochs = new List<(int Epoch, double Loss, int Images)>();
        if (settings.Epochs > 0)
        {
            double loss = 0;
            int images = 0;
            await using ImagePipeline train = settings.Dataset.Builder(settings.For(Subset.Training)).Build(batch =>
            {
                BatchTargets targets = Targets(batch);
                model = Ready(model, batch, training, settings.Seed);
                classNames ??= ObjectClasses(batch);
                (float[][] boxes, int[][] classes) = Rows(targets);
                long total = (long)batch.BatchesInEpoch * settings.Epochs, step = (long)batch.Epoch * batch.BatchesInEpoch + batch.Index;
                float rate = (float)(training.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / Math.Max(1, total))));
                loss += model.TrainStep(batch.Data, boxes, classes, rate, training.Momentum, training.WeightDecay);
                images += batch.Count;
                if (batch.IsLastInEpoch)
                {
                    epochs.Add((batch.Epoch + 1, loss / Math.Max(1, images), images));
                    if (!json)
                    {
                        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"epoch {batch.Epoch + 1}/{settings.Epochs}  loss {loss / Math.Max(1, images):0.000}  ({images} images)")));
                    }

                    (loss, images) = (0, 0);
                }
            }, cancellationToken);
            train.Post(settings.Dataset.Root);
            train.Complete();
            await train.Completion.ConfigureAwait(false);
        }

        // Without a split there is no held-out part: score every image.
        Subset subset = settings.ValidationSplit > 0 ? Subset.Validation : Subset.Training;
        var metrics = new BoxMetrics();
        var predictions = new List<PredictionData>();
        await using (ImagePipeline evaluation = settings.Dataset.Builder(settings.For(subset, epochs: 1, forEvaluation: true)).BuildStream(cancellationToken))
        {
            evaluation.Post(settings.Dataset.Root);
            evaluation.Complete();
            await foreach (Batch batch in evaluation.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (batch)
                {
                    BatchTargets targets = Targets(batch);
                    model = Ready(model, batch, training, settings.Seed);
                    classNames ??= ObjectClasses(batch);
                    (float[][] boxes, int[][] classes) = Rows(targets);
                    for (int r = 0; r < batch.Count; r++)
                    {
                        List<Detection> found = model.Predict(batch.Row(r));
                        metrics.Add(found, boxes[r], classes[r]);
                        if (predictPath is not null)
                        {
                            predictions.Add(Prediction(batch.Paths[r], targets.Geometry[r], found, boxes[r], classes[r]));
                        }
                    }
                }
            }
        }

        if (model is null)
        {
            throw new InvalidDataException($"No image of '{settings.Dataset.Root}' could be decoded: nothing to train on or score (see the skipped files).");
        }

        if (files.Save is not null)
        {
            IReadOnlyDictionary<string, string> metadata = Metadata(settings, classNames!);
            OutputFile.Write(files.Save, "--save", stream => model.Save(stream, metadata));
        }

        double map = metrics.MeanAveragePrecision();
        (double precision, double recall, double f1) = metrics.AtOperatingScore();
        if (predictPath is not null)
        {
            OutputFile.Write(predictPath, "--predict", stream => System.Text.Json.JsonSerializer.Serialize(stream, new { Images = predictions }, Json.Options));
        }

        if (json)
        {
            Json.Write(environment.Out, new
            {
                Command = "train-detect",
                Dataset = settings.Dataset.Root,
                Model = model.ToString(),
                Settings = new { Size = settings.Size.ToString(), Resize = EnumSpellings.Of(settings.Resize), settings.Seed, settings.ValidationSplit, settings.BatchSize, settings.Epochs, Augment = settings.AugmentName },
                Epochs = epochs.Select(e => new { e.Epoch, e.Loss, e.Images }),
                Evaluation = new { Subset = subset == Subset.Validation ? "validation" : "all", metrics.Images, Boxes = metrics.TruthBoxes, Map50 = map, Precision = precision, Recall = recall, F1 = f1 },
                PredictionsTo = predictPath,
                LoadedFrom = files.Loaded?.Path,
                SavedTo = files.Save,
                WallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
            });
            return ExitCodes.Success;
        }

        console.MarkupLine(Markup.Escape($"  model: {model}{(files.Loaded is { } l ? $" (loaded from {l.Path})" : "")}"));
        console.MarkupLine($"[bold green]{Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"mAP@0.5 {map:0.000} on {metrics.Images} {(subset == Subset.Validation ? "held-out" : "")} images ({metrics.TruthBoxes} boxes); at score {BoxMetrics.OperatingScore}: precision {precision:0.000} recall {recall:0.000} F1 {f1:0.000}; {clock.Elapsed.TotalSeconds:0.0} s"))}[/]");
        if (predictPath is not null)
        {
            console.MarkupLine(Markup.Escape($"wrote the boxes of {predictions.Count} images in source pixels to {predictPath}"));
        }

        if (files.Save is not null)
        {
            console.MarkupLine(Markup.Escape($"saved the detector's weights to {files.Save}"));
        }

        return ExitCodes.Success;
    }

    private static BatchTargets Targets(Batch batch) => batch.Targets
        ?? throw new UsageException("train-detect needs a dataset with boxes (a COCO file or folder; make-detection --out DIR writes one); this one has none.");

    /// <summary>The detector for <paramref name="batch"/>: a new one on the first batch, else <paramref name="model"/> once its classes are checked against the dataset's.</summary>
    private static GridDetector Ready(GridDetector? model, Batch batch, DetectionSettings training, long seed)
    {
        int classes = ObjectClasses(batch).Length;
        if (model is null)
        {
            return new GridDetector(batch.Shape[1], batch.Shape[3], batch.Shape[2], classes, training.Hidden, seed);
        }

        return model.Classes == classes ? model
            : throw new UsageException($"--load: the detector has {model.Classes} classes and the dataset {classes}: it was trained on another dataset.");
    }

    /// <summary>The classes of objects: the dataset's, without COCO's class for images with no object.</summary>
    private static string[] ObjectClasses(Batch batch) =>
        [.. batch.ClassNames.Take(batch.ClassNames.Count - (batch.ClassNames[^1] == CocoSampleSource.NoObjectClass ? 1 : 0))];

    /// <summary>What a saved detector keeps beside its weights, for <c>predict-detect</c> to make the same inputs: colour, resize, normalization and class names.</summary>
    private static Dictionary<string, string> Metadata(PipelineSettings settings, string[] classNames) => new(StringComparer.Ordinal)
    {
        [MetadataKeys.Color] = EnumSpellings.Of(settings.Color),
        [MetadataKeys.Resize] = EnumSpellings.Of(settings.Resize),
        [MetadataKeys.Normalization] = settings.Normalization.Name,
        [MetadataKeys.Classes] = string.Join('\n', classNames),
    };

    /// <summary>The names of what a saved detector keeps beside its weights.</summary>
    internal static class MetadataKeys
    {
        public const string Color = "color", Resize = "resize", Normalization = "normalization", Classes = "classes";
    }

    /// <summary>The detections of one row in its source image's pixels (through the row's map back), with their classes and scores.</summary>
    internal static (float[][] Boxes, int[] Classes, float[] Scores) InSource(SampleGeometry geometry, List<Detection> found)
    {
        float[] predicted = geometry.BoxesToSource([.. found.SelectMany(d => new[] { d.X1, d.Y1, d.X2, d.Y2 })], BoxFormat.Xyxy);
        return (Split(predicted), [.. found.Select(d => d.Class)], [.. found.Select(d => MathF.Round(d.Score, 4))]);
    }

    private static float[][] Split(float[] xyxy) => [.. xyxy.Chunk(4).Select(b => b.Select(v => MathF.Round(v, 2)).ToArray())];

    /// <summary>The detector saved in <paramref name="path"/> (by <c>--save</c>); <paramref name="option"/> names the option in errors.</summary>
    /// <exception cref="UsageException">The file is missing or not a detector.</exception>
    internal static GridDetector Read(string path, string option)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new UsageException($"{option}: the file '{full}' does not exist.");
        }

        try
        {
            using FileStream stream = File.OpenRead(full);
            return GridDetector.Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"{option}: '{full}' is not a usable detector: {e.Message}.", e);
        }
    }

    /// <summary>The detector in <paramref name="path"/>, checked against the run's tensor size and colour.</summary>
    /// <exception cref="UsageException">The file is missing or not a detector, or takes other inputs than the run makes.</exception>
    private static GridDetector Load(string path, PipelineSettings settings)
    {
        GridDetector model = Read(path, "--load");

        int[] shape = [settings.Color == Dataflow.Pipeline.Decoding.ColorMode.Grayscale ? 1 : 3, settings.Size.Height, settings.Size.Width];
        if (!model.InputShape.AsSpan().SequenceEqual(shape))
        {
            throw new UsageException($"--load: the detector takes [{string.Join(", ", model.InputShape)}] inputs (channels, height, width) and this run makes " +
                $"[{string.Join(", ", shape)}]: give the --size and --color it was trained with.");
        }

        return model;
    }

    private static (float[][] Boxes, int[][] Classes) Rows(BatchTargets targets)
    {
        var boxes = new float[targets.Rows][];
        var classes = new int[targets.Rows][];
        for (int r = 0; r < targets.Rows; r++)
        {
            boxes[r] = targets.RowBoxes(r).ToArray();
            classes[r] = targets.RowClasses(r).ToArray();
        }

        return (boxes, classes);
    }

    /// <summary>One image's predictions and ground truth, taken from the row's pixels back to the source's.</summary>
    private static PredictionData Prediction(string path, SampleGeometry geometry, List<Detection> found, float[] truth, int[] truthClasses)
    {
        (float[][] boxes, int[] classes, float[] scores) = InSource(geometry, found);
        float[] back = geometry.BoxesToSource(truth, BoxFormat.Xyxy);
        return new PredictionData(path, geometry.Source.Width, geometry.Source.Height, boxes, classes, scores, Split(back), truthClasses);
    }

    private sealed record PredictionData(string Image, int Width, int Height, float[][] Boxes, int[] Classes, float[] Scores, float[][] TruthBoxes, int[] TruthClasses);
}
