using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Data;
using Dataflow.Samples.Onnx;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>predict</c>: runs an ONNX image classifier (one exported by <c>train --export</c>, or any pretrained one)
/// over a folder through the pipeline with ONNX Runtime, each batch handed over without a copy; writes every
/// file's prediction and prints the accuracy when the model's classes name the folder's class folders.
/// </summary>
public static class PredictCommand
{
    /// <summary>The <c>--resize</c> choices: the library's resize modes, and torchvision's evaluation transform.</summary>
    public static IReadOnlyList<string> ResizeChoices => EnumSpellings.Resizes;

    /// <summary>The <c>--layout</c> choices.</summary>
    public static IReadOnlyList<string> LayoutChoices => EnumSpellings.Layouts;

    /// <summary>The <c>--subset</c> choices.</summary>
    public static IReadOnlyList<string> SubsetChoices { get; } = ["validation", "training"];

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var shared = new PipelineArguments(defaultValidationSplit: 0);
        var model = new Option<string>("--model") { Description = "The ONNX model: one image input [batch, C, H, W] (or NHWC) of float32, class scores out.", HelpName = "FILE", Required = true };
        var labels = new Option<string?>("--labels") { Description = "Class names, one a line in class order (default: the model's class_names metadata).", HelpName = "FILE" };
        var output = new Option<string>("--out") { Description = "Per-file predictions: JSON for a .json name, CSV otherwise.", HelpName = "FILE", DefaultValueFactory = _ => "predictions.csv" };
        var subset = new Option<string>("--subset") { Description = "With --validation-split: predict the validation or the training part (the same seeded split as train).", DefaultValueFactory = _ => "validation" };
        var resize = new Option<string>("--resize") { Description = "stretch, crop (centre crop to the target's aspect), letterbox, or torchvision (Resize(256/224·S) + CenterCrop(S), the evaluation transform: the shorter side resized, then the centre cropped).", DefaultValueFactory = _ => "stretch" };
        var interpolation = new Option<string>("--interpolation") { Description = "nearest, bilinear, area, cubic, or antialiased (Pillow's bilinear, which torchvision's Resize runs on PIL images).", DefaultValueFactory = _ => "bilinear" };
        var layout = new Option<string?>("--layout") { Description = "nchw or nhwc. Default: the model's (NCHW unless its last dimension is the channels)." };
        var mean = new Option<float[]?>("--mean") { Description = "Per-channel mean in the model's colour order, after --scale (e.g. 0.485,0.456,0.406); overrides the preset's.", HelpName = "M,M,M", CustomParser = ParseFloats };
        var std = new Option<float[]?>("--std") { Description = "Per-channel standard deviation (e.g. 0.229,0.224,0.225); overrides the preset's.", HelpName = "S,S,S", CustomParser = ParseFloats };
        var scale = new Option<float?>("--scale") { Description = "Multiplier applied to the 0-255 pixel before mean/std (e.g. 0.00392157 for 1/255); overrides the preset's." };
        var json = JsonOption.Create();
        subset.OneOf(SubsetChoices);
        resize.OneOf(ResizeChoices);
        interpolation.OneOf(EnumSpellings.Interpolations);
        layout.OneOf(LayoutChoices);

        var command = new Command("predict", "Run an ONNX image classifier over a folder through the pipeline with ONNX Runtime; per-file predictions and the accuracy.");
        foreach (Option option in new Option[]
                 {
                     model, labels, output, shared.Size, shared.Color, resize, interpolation, layout, shared.Normalization, mean, std, scale,
                     shared.BatchSize, shared.Seed, shared.ValidationSplit, subset, shared.Parallelism, shared.FailFast, json,
                 })
        {
            command.Options.Add(option);
        }

        shared.Dataset.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            using OnnxClassifier classifier = OnnxClassifier.Open(parse.GetValue(model)!);
            if (parse.GetValue(labels) is string labelsPath)
            {
                classifier.UseLabels(labelsPath);
            }

            // Checked before any image is read: a missing folder fails at once.
            string outPath = OutputFile.Check(parse.GetValue(output)!, "--out");

            DatasetLocation dataset = shared.Dataset.Resolve(parse, environment);
            TensorLayout tensorLayout = parse.GetValue(layout) switch
            {
                "nhwc" => TensorLayout.Nhwc,
                "nchw" => TensorLayout.Nchw,
                _ => classifier.InputDimensions[3] is 1 or 3 && classifier.InputDimensions[1] is not (1 or 3) ? TensorLayout.Nhwc : TensorLayout.Nchw,
            };
            (int modelChannels, int modelHeight, int modelWidth) = tensorLayout == TensorLayout.Nchw
                ? (classifier.InputDimensions[1], classifier.InputDimensions[2], classifier.InputDimensions[3])
                : (classifier.InputDimensions[3], classifier.InputDimensions[1], classifier.InputDimensions[2]);
            ImageSize size = parse.GetValue(shared.Size)
                ?? (modelWidth > 0 && modelHeight > 0 ? new ImageSize(modelWidth, modelHeight)
                    : dataset.IsEmbedded ? new ImageSize(EmbeddedDigits.CellSize, EmbeddedDigits.CellSize) : new ImageSize(32, 32));
            string color = parse.GetValue(shared.Color) ?? modelChannels switch { 1 => "gray", 3 => "rgb", _ => dataset.IsEmbedded ? "gray" : "rgb" };
            NormalizationOptions preset = NormalizationOptions.Presets[parse.GetValue(shared.Normalization)!];
            // An array option that is absent reads as empty.
            float[]? meanValues = parse.GetValue(mean) is { Length: > 0 } m ? m : null;
            float[]? stdValues = parse.GetValue(std) is { Length: > 0 } sd ? sd : null;
            float? scaleValue = parse.GetValue(scale);
            NormalizationOptions normalization = meanValues is null && stdValues is null && scaleValue is null
                ? preset
                : new NormalizationOptions(scaleValue ?? preset.Scale, meanValues ?? [.. preset.Mean], stdValues ?? [.. preset.Std]);
            string resizeChoice = parse.GetValue(resize)!;
            int? all = parse.GetValue(shared.Parallelism);
            StageOptions? stage = all is int n ? new StageOptions(n, 2 * n) : null;
            double split = parse.GetValue(shared.ValidationSplit);
            var settings = new PipelineSettings
            {
                Dataset = dataset,
                Size = size,
                Color = EnumSpellings.ParseColor(color),
                Seed = parse.GetValue(shared.Seed),
                ValidationSplit = split,
                BatchSize = parse.GetValue(shared.BatchSize),
                Normalization = normalization,
                Read = stage,
                Decode = stage,
                Augment = stage,
                Normalize = stage,
                ErrorPolicy = parse.GetValue(shared.FailFast) ? ErrorPolicy.FailFast : ErrorPolicy.SkipAndReport,
            };

            // Without a split every image is in the training subset.
            Subset chosen = split == 0 || parse.GetValue(subset) == "training" ? Subset.Training : Subset.Validation;
            PipelineOptions options = settings.For(chosen, forEvaluation: true) with
            {
                // torchvision's evaluation transform, Resize(256) then CenterCrop(224), is ShorterSideThenCenterCrop: a
                // CenterCrop augmentation of 224/256 keeps the same window but crops before resizing (other pixels).
                ResizeMode = EnumSpellings.ParseResize(resizeChoice),
                Augmentations = [],
                Interpolation = EnumSpellings.ParseInterpolation(parse.GetValue(interpolation)!),
                Layout = tensorLayout,
            };
            LibraryOptionFailures.Check(options, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [nameof(PipelineOptions.Width)] = shared.Size.Name,
                [nameof(PipelineOptions.Height)] = shared.Size.Name,
                [nameof(PipelineOptions.ValidationSplit)] = shared.ValidationSplit.Name,
                [nameof(PipelineOptions.BatchSize)] = shared.BatchSize.Name,
                ["Normalization.Mean"] = mean.Name,
                ["Normalization.Std"] = std.Name,
                ["Read.MaxDegreeOfParallelism"] = shared.Parallelism.Name,
                ["Decode.MaxDegreeOfParallelism"] = shared.Parallelism.Name,
                ["Augment.MaxDegreeOfParallelism"] = shared.Parallelism.Name,
                ["Normalize.MaxDegreeOfParallelism"] = shared.Parallelism.Name,
            });

            return await RunAsync(environment, classifier, dataset, options, outPath, parse.GetValue(json), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Checks the model against the pipeline's batches, then predicts every image; returns the exit code.</summary>
    /// <exception cref="UsageException">The model's input does not fit the pipeline's batches (before any image is read).</exception>
    public static async Task<int> RunAsync(CommandEnvironment environment, OnnxClassifier classifier, DatasetLocation dataset, PipelineOptions options,
        string outPath, bool json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        int channels = options.ColorMode == ColorMode.Grayscale ? 1 : 3;
        int[] batchShape = options.Layout == TensorLayout.Nchw
            ? [options.BatchSize, channels, options.Height, options.Width]
            : [options.BatchSize, options.Height, options.Width, channels];
        classifier.EnsureAccepts(batchShape, options.Layout);

        IAnsiConsole console = environment.Console;
        if (!json)
        {
            console.MarkupLine($"[bold]predict[/] {Markup.Escape(Path.GetFileName(classifier.Path))} on {Markup.Escape(dataset.DisplayName)}");
            console.MarkupLine(Markup.Escape($"  input '{classifier.InputName}' {classifier.InputShapeText}; batches [{string.Join(", ", batchShape)}] {EnumSpellings.Of(options.Layout)}, " +
                $"{EnumSpellings.Of(options.ColorMode)}, {EnumSpellings.Of(options.ResizeMode)}, {options.Normalization.Name}"));
        }

        var records = new List<PredictionRecord>();
        var clock = Stopwatch.StartNew();
        await using ImagePipeline pipeline = dataset.Builder(options).BuildStream(cancellationToken);
        pipeline.Post(dataset.Root);
        pipeline.Complete();

        async Task ConsumeAsync(Action<long, long>? progress)
        {
            Dictionary<string, int>? modelIndex = null;
            await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (batch)
                {
                    modelIndex ??= classifier.ClassNames?.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
                    Prediction[] predictions = classifier.Predict(batch);
                    for (int r = 0; r < batch.Count; r++)
                    {
                        string label = batch.ClassNames[batch.Labels[r]];
                        int predicted = predictions[r].Class;
                        bool? correct = modelIndex is not null && modelIndex.TryGetValue(label, out int expected) ? expected == predicted : null;
                        string? name = classifier.ClassNames is { } names && predicted < names.Count ? names[predicted] : null;
                        records.Add(new PredictionRecord(batch.Paths[r], label, predicted, name, predictions[r].Score, correct));
                    }

                    progress?.Invoke(records.Count, pipeline.Report.Selected);
                }
            }

            await pipeline.Completion.ConfigureAwait(false);
        }

        if (!json && environment.IsInteractive)
        {
            await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ImagesPerSecondColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    ProgressTask task = context.AddTask("predicting", maxValue: 1);
                    await ConsumeAsync((done, total) =>
                    {
                        task.MaxValue = Math.Max(1, total);
                        task.Value = done;
                    }).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        else
        {
            await ConsumeAsync(null).ConfigureAwait(false);
        }

        clock.Stop();
        PredictionFile.Write(outPath, records);
        int labelled = records.Count(r => r.Correct is not null);
        int correctCount = records.Count(r => r.Correct == true);
        double? accuracy = labelled > 0 ? (double)correctCount / labelled : null;
        double seconds = clock.Elapsed.TotalSeconds;
        if (json)
        {
            Json.Write(environment.Out, new PredictDocument("predict", classifier.Path, classifier.InputShapeText, batchShape, dataset.Root, records.Count, labelled, correctCount,
                accuracy, Math.Round(seconds, 3), outPath, ReportView.Data(pipeline.Report)));
            return ExitCodes.Success;
        }

        string rate = string.Create(CultureInfo.InvariantCulture, $"{records.Count / Math.Max(seconds, 1e-9):N0} img/s");
        string summary = accuracy is double a
            ? string.Create(CultureInfo.InvariantCulture, $"accuracy {a:P2} on {labelled} labelled images; {records.Count} predicted in {seconds:0.0} s ({rate})")
            : string.Create(CultureInfo.InvariantCulture, $"{records.Count} predicted in {seconds:0.0} s ({rate}); no accuracy: {(classifier.ClassNames is null
                ? "the model's class names are unknown (give --labels FILE)"
                : "no class folder is named after a class of the model")}");
        console.MarkupLine($"[bold green]{Markup.Escape(summary)}[/]");
        ReportView.Write(console, ("predict", pipeline.Report));
        console.MarkupLine($"wrote the predictions to {Markup.Escape(outPath)}");
        return ExitCodes.Success;
    }

    private static float[]? ParseFloats(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        string text = result.Tokens[0].Value;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
            {
                result.AddError($"--{result.Argument.Name.TrimStart('-')} must be one number or three separated by commas (for example 0.485,0.456,0.406), was '{text}'.");
                return null;
            }

            values[i] = value;
        }

        return values;
    }

    private sealed record PredictDocument(string Command, string Model, string ModelInput, int[] BatchShape, string Dataset, int Images, int Labelled, int Correct,
        double? Accuracy, double WallSeconds, string Predictions, ReportData Report);
}
