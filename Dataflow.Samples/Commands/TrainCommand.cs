using System.CommandLine;
using System.Globalization;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Samples.Output;
using Dataflow.Samples.Training;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>train</c> (the default command): streams a dataset (the embedded digits, or <c>--data DIR</c>) through
/// the pipeline into a small classifier, prints each epoch's loss and accuracies, and ends with the
/// pipelines' report.
/// </summary>
public static class TrainCommand
{
    /// <summary>The <c>--model</c> choices.</summary>
    public static IReadOnlyList<string> ModelChoices { get; } = ["mlp", "softmax"];

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var pipeline = new PipelineArguments(defaultEpochs: 10, minEpochs: 0);
        var model = new Option<string>("--model") { Description = "mlp (one hidden ReLU layer) or softmax (softmax regression).", DefaultValueFactory = _ => "mlp" };
        model.OneOf(ModelChoices);
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of the MLP.", DefaultValueFactory = _ => 256 };
        var learningRate = new Option<float?>("--learning-rate")
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"Peak SGD step size, decayed along a half cosine to 0 over the run. Default: {DigitsLearningRate} for the embedded digits, {FolderLearningRate} for a folder (larger inputs: {DigitsLearningRate} diverges on photos)."),
            HelpName = "RATE",
        };
        var weightDecay = new Option<float>("--weight-decay") { Description = "L2 penalty on the weights.", DefaultValueFactory = _ => 5e-4f };
        var dropout = new Option<float>("--dropout") { Description = "Dropout probability of the MLP's hidden units during training.", DefaultValueFactory = _ => 0.2f };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum (0 for plain SGD).", DefaultValueFactory = _ => 0.9f };
        var save = new Option<string?>("--save") { Description = "Write the trained weights to this file, and the loader state beside it (FILE.loader.json); {rank} in the name is replaced by the rank.", HelpName = "FILE" };
        var saveState = new Option<string?>("--save-state") { Description = "Write the loader state after the last training batch to this file (as digest --save-state); {rank} in the name is replaced by the rank.", HelpName = "FILE" };
        var export = new Option<string?>("--export") { Description = "Write the trained model as ONNX (Flatten, Gemm, Relu, Softmax) for predict or any ONNX runtime.", HelpName = "FILE" };
        var load = new Option<string?>("--load") { Description = "Start from the weights in this file (with --epochs 0: only evaluate them).", HelpName = "FILE" };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue a run saved with --save FILE: its weights and its loader state (FILE.loader.json); the batches are those the saved run would have had next. With {rank} in the name, this rank's weights are read, and every rank's loader state of the stopped run, which must be one stop's.",
            HelpName = "FILE",
        };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many training batches (as an interrupted run; with --save, to resume later).", HelpName = "N" };
        stopAfter.Require<Option<int?>, int?>(v => v is null or >= 1, "must be at least 1");
        var distributed = new DistributedArguments();
        var json = JsonOption.Create();
        hidden.InRange(1, 65_536);
        learningRate.Require<Option<float?>, float?>(v => v is null or (>= 1e-6f and < 10f), "must be at least 1E-06 and below 10");
        weightDecay.InRange(0f, 1f);
        dropout.InRange(0f, 1f);
        momentum.InRange(0f, 1f);

        var command = new Command("train", "Train a classifier (softmax regression or a one-hidden-layer MLP) on a folder of images; the default command.");
        pipeline.AddTo(command);
        foreach (Option option in new Option[] { model, hidden, learningRate, momentum, weightDecay, dropout, save, saveState, export, load, resume, stopAfter, json })
        {
            command.Options.Add(option);
        }

        distributed.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            PipelineSettings settings = distributed.Apply(parse, pipeline.Resolve(parse, environment));
            var training = new TrainingSettings(
                parse.GetValue(model) == "softmax" ? ModelKind.Softmax : ModelKind.Mlp,
                parse.GetValue(hidden),
                new SgdSettings(parse.GetValue(learningRate) ?? (settings.Dataset.IsEmbedded ? DigitsLearningRate : FolderLearningRate), parse.GetValue(momentum), parse.GetValue(weightDecay), Cosine: true, parse.GetValue(dropout)));
            string? resumePath = parse.GetValue(resume);
            if (resumePath is not null && parse.GetValue(load) is not null)
            {
                throw new UsageException("--resume and --load both give the starting weights: use one of them.");
            }

            // {rank} names this rank's files: the rank as the run will be placed (options, or the launcher's variables).
            PipelineOptions options = settings.For(Subset.Training);
            int rank = LauncherEnvironment.Resolve(options.Rank, options.WorldSize, options.ReadLauncherEnvironment ? Environment.GetEnvironmentVariable : static _ => null).Rank;
            string? Mine(string? path) => path is null ? null : SampleList.PathFor(path, rank);
            return await RunAsync(environment, settings, training, Mine(resumePath ?? parse.GetValue(load)), Mine(parse.GetValue(save)), parse.GetValue(json), cancellationToken,
                resumePath is null ? null : StateFiles.LoadEveryRank(StateFiles.BesideModel(resumePath), "--resume"), parse.GetValue(stopAfter), parse.GetValue(export),
                Mine(parse.GetValue(saveState))).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The <c>--learning-rate</c> default for the embedded digits (20×20 gray inputs).</summary>
    public const float DigitsLearningRate = 0.1f;

    /// <summary>The <c>--learning-rate</c> default for a folder (32×32 RGB inputs by default: 3072 of them, where 0.1 diverges).</summary>
    public const float FolderLearningRate = 0.01f;

    /// <summary>
    /// A warning when the first epoch's training loss is not below chance (ln of the class count, what a model that
    /// guesses uniformly scores): the step size overshoots for these inputs, and the run may sit at chance. Null
    /// otherwise.
    /// </summary>
    public static string? DivergenceWarning(TrainingResult result, SgdSettings sgd)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(sgd);
        int classes = result.Model.ClassNames.Length;
        if (result.Epochs.Count == 0 || classes < 2 || result.Epochs[0].Train.Rows == 0)
        {
            return null;
        }

        double chance = Math.Log(classes), loss = result.Epochs[0].Train.MeanLoss;
        return loss < chance
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"warning: epoch 1's training loss {loss:0.000} is not below chance ({chance:0.000}, ln of {classes} classes): the learning rate {sgd.LearningRate} overshoots on these inputs; set a smaller one, --learning-rate {sgd.LearningRate / 10}, or standardize the inputs with --normalization imagenet.");
    }

    /// <summary>Runs the training and writes its output; returns the exit code.</summary>
    /// <param name="environment">Where to write.</param>
    /// <param name="settings">The pipeline settings.</param>
    /// <param name="training">The model and optimizer settings.</param>
    /// <param name="loadPath">Starting weights, or null.</param>
    /// <param name="savePath">Where to save the weights (and the loader state beside them), or null.</param>
    /// <param name="json">Write JSON instead of text.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <param name="resume">The loader state to continue from (with the weights of <paramref name="loadPath"/>), or null.</param>
    /// <param name="stopAfter">Stop after this many training batches, or null.</param>
    /// <param name="exportPath">Where to write the model as ONNX, or null.</param>
    /// <param name="saveStatePath">Where to write the loader state after the last training batch, or null.</param>
    public static async Task<int> RunAsync(CommandEnvironment environment, PipelineSettings settings, TrainingSettings training,
        string? loadPath, string? savePath, bool json, CancellationToken cancellationToken, Dataflow.Pipeline.Distributed.PipelineState? resume = null, int? stopAfter = null, string? exportPath = null,
        string? saveStatePath = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(settings);
        bool evaluateOnly = settings.Epochs == 0;
        if (evaluateOnly && loadPath is null)
        {
            throw new UsageException("--epochs 0 only evaluates a model: give the model with --load FILE.");
        }

        // A model that cannot be saved or exported fails now, not after the training it would have kept.
        string? saveTarget = savePath is null ? null : CheckSaveTarget(savePath);
        string? exportTarget = exportPath is null ? null : CheckSaveTarget(exportPath, "--export");
        if (saveStatePath is not null && Path.GetDirectoryName(Path.GetFullPath(saveStatePath)) is { } stateFolder && !Directory.Exists(stateFolder))
        {
            throw new UsageException($"--save-state: the folder '{stateFolder}' does not exist.");
        }
        MlpClassifier? initial = loadPath is null ? null : LoadModel(loadPath);
        IAnsiConsole console = environment.Console;
        if (!json)
        {
            console.MarkupLine($"[bold]train[/] on {Markup.Escape(settings.Dataset.DisplayName)}");
            console.MarkupLine(Markup.Escape($"  pipeline: {settings}, validation split {settings.ValidationSplit.ToString(CultureInfo.InvariantCulture)}, " +
                (evaluateOnly ? "evaluation only" : $"{settings.Epochs} epochs")));
            console.MarkupLine(Markup.Escape($"  model: {(initial is null ? Describe(training) : $"{initial} (loaded from {Path.GetFullPath(loadPath!)})")}"));
        }

        var run = new TrainingRun(settings, training)
        {
            Resume = resume,
            StopAfter = stopAfter,
            EpochCompleted = json ? null : result => console.MarkupLine(Markup.Escape(FormatEpoch(result))),
        };
        TrainingResult result;
        if (!json && environment.IsInteractive && !evaluateOnly)
        {
            result = await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ImagesPerSecondColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    ProgressTask task = context.AddTask("training", maxValue: 1);
                    var tracked = new TrainingRun(settings, training)
                    {
                        Resume = resume,
                        StopAfter = stopAfter,
                        EpochCompleted = run.EpochCompleted,
                        Progress = (done, total) =>
                        {
                            task.MaxValue = Math.Max(1, total);
                            task.Value = done;
                        },
                    };
                    return await tracked.RunAsync(initial, evaluateOnly, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        else
        {
            result = await run.RunAsync(initial, evaluateOnly, cancellationToken).ConfigureAwait(false);
        }

        if (saveTarget is not null)
        {
            SaveModel(result.Model, saveTarget);
            if (result.LoaderState is not null)
            {
                // Beside the weights, so that --resume finds both: the run continues with the batches it would have had next.
                StateFiles.Save(result.LoaderState, StateFiles.BesideModel(saveTarget), "--save");
            }
        }

        if (saveStatePath is not null && !evaluateOnly)
        {
            StateFiles.Save(result.LoaderState, saveStatePath, "--save-state");
        }

        if (exportTarget is not null)
        {
            Onnx.OnnxExport.Write(result.Model, exportTarget);
        }

        string? warning = evaluateOnly ? null : DivergenceWarning(result, training.Sgd);
        if (warning is not null)
        {
            // Standard error, whole: the advice is one line that a log keeps, never wrapped to the console's width.
            environment.Error.WriteLine(warning);
        }

        if (json)
        {
            Json.Write(environment.Out, ToDocument(settings, result, savePath) with { ExportedTo = exportTarget, LearningRate = training.Sgd.LearningRate, Warning = warning });
            return ExitCodes.Success;
        }

        double? accuracy = result.FinalValidationAccuracy;
        string summary = accuracy is null
            ? $"trained {result.Epochs.Count} epochs in {result.Elapsed.TotalSeconds:0.0} s (no validation split)"
            : evaluateOnly
                ? $"accuracy {accuracy:P2} on {result.Epochs[^1].Validation!.Value.Rows} images ({(settings.ValidationSplit > 0 ? "validation subset" : "all images")}) in {result.Elapsed.TotalSeconds:0.0} s"
                : $"validation accuracy {accuracy:P2} after {result.Epochs.Count} epochs in {result.Elapsed.TotalSeconds:0.0} s";
        console.MarkupLine($"[bold green]{Markup.Escape(summary.ToString(CultureInfo.InvariantCulture))}[/]");
        ReportView.Write(console, ("training", result.Training), ("validation", result.Validation));
        if (savePath is not null)
        {
            console.MarkupLine($"saved the model to {Markup.Escape(Path.GetFullPath(savePath))}");
        }

        if (exportTarget is not null)
        {
            console.MarkupLine($"exported the model to ONNX: {Markup.Escape(exportTarget)}");
        }

        return ExitCodes.Success;
    }

    /// <summary>One epoch as a line of at most 80 columns: loss, accuracies, throughput (the epoch's seconds are in <c>--json</c>).</summary>
    public static string FormatEpoch(EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string validation = result.Validation is Score v
            ? string.Create(CultureInfo.InvariantCulture, $"val loss {v.MeanLoss:0.000}  val acc {v.Accuracy * 100:0.00}%")
            : "no validation";
        if (result.Epochs == 0)
        {
            return $"evaluation  {validation}  ({result.Validation?.Rows ?? 0} images)";
        }

        string epoch = result.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(result.Epochs.ToString(CultureInfo.InvariantCulture).Length);
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{result.Epochs}  loss {result.Train.MeanLoss:0.000}  acc {result.Train.Accuracy * 100:0.00}%  {validation}  {result.ImagesPerSecond:N0} img/s");
    }

    private static string Describe(TrainingSettings training)
    {
        SgdSettings sgd = training.Sgd;
        string sgdText = string.Create(CultureInfo.InvariantCulture, $"SGD lr {sgd.LearningRate} (cosine) momentum {sgd.Momentum} weight decay {sgd.WeightDecay}");
        return training.Model == ModelKind.Mlp
            ? string.Create(CultureInfo.InvariantCulture, $"mlp ({training.Hidden} hidden, dropout {sgd.Dropout}), {sgdText}")
            : $"softmax regression, {sgdText}";
    }

    private static MlpClassifier LoadModel(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new UsageException($"--load: the file '{full}' does not exist.");
        }

        try
        {
            using FileStream stream = File.OpenRead(full);
            return MlpClassifier.Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--load: '{full}' is not a usable model: {e.Message}.", e);
        }
    }

    /// <summary>The full path <c>--save</c> writes: its folder exists, it is not a folder, and a file can be written beside it.</summary>
    /// <remarks>Probed before training, so that a folder that does not take the file fails at once, not after the run.</remarks>
    /// <exception cref="UsageException">Any of these fails; the message names the path.</exception>
    private static string CheckSaveTarget(string path, string option = "--save") => OutputFile.Probe(path, option);

    private static void SaveModel(MlpClassifier model, string full) => OutputFile.Write(full, "--save", model.Save);

    private static TrainDocument ToDocument(PipelineSettings settings, TrainingResult result, string? savePath) => new(
        "train",
        settings.Dataset.Root,
        settings.Dataset.IsEmbedded,
        result.Model.ToString(),
        new SettingsData(settings.Size.ToString(), EnumSpellings.Of(settings.Color), settings.Seed, settings.ValidationSplit,
            settings.BatchSize, settings.Epochs, settings.AugmentName, settings.Normalization.Name),
        [.. result.Epochs.Select(e => new EpochData(e.Epoch, e.Train.MeanLoss, e.Train.Accuracy, e.Validation?.MeanLoss, e.Validation?.Accuracy,
            e.Train.Rows, e.Validation?.Rows ?? 0, Math.Round(e.ImagesPerSecond, 1), Math.Round(e.Elapsed.TotalSeconds, 4)))],
        result.FinalValidationAccuracy,
        Math.Round(result.Elapsed.TotalSeconds, 3),
        savePath is null ? null : Path.GetFullPath(savePath),
        result.Training is null ? null : ReportView.Data(result.Training),
        result.Validation is null ? null : ReportView.Data(result.Validation));

    private sealed record TrainDocument(string Command, string Dataset, bool Embedded, string Model, SettingsData Settings, IReadOnlyList<EpochData> Epochs,
        double? ValidationAccuracy, double WallSeconds, string? SavedTo, ReportData? Training, ReportData? Validation)
    {
        public string? ExportedTo { get; init; }

        public float LearningRate { get; init; }

        public string? Warning { get; init; }
    }

    private sealed record SettingsData(string Size, string Color, long Seed, double ValidationSplit, int BatchSize, int Epochs, string Augment, string Normalization);

    private sealed record EpochData(int Epoch, double Loss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
        int TrainImages, int ValidationImages, double ImagesPerSecond, double Seconds);
}
