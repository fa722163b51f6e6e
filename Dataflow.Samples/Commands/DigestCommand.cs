using System.CommandLine;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>digest</c>: runs the pipeline with no trainer and prints one SHA-256 over every batch (position,
/// labels, sample paths relative to the dataset root, tensor bytes), so a run can be compared across
/// machines and parallelism settings.
/// </summary>
public static class DigestCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var pipeline = new PipelineArguments(defaultEpochs: 1, defaultValidationSplit: 0);
        var distributed = new DistributedArguments();
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many batches (as a run that is interrupted), e.g. to save the state there.", HelpName = "N" };
        stopAfter.Require<Option<int?>, int?>(v => v is null or >= 1, "must be at least 1");
        var saveState = new Option<string?>("--save-state") { Description = "Write the loader state after the last delivered batch to this file; {rank} in the name is replaced by the rank.", HelpName = "FILE" };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue from a loader state saved with --save-state (or by train --save); with {rank} in the name, every rank's state of the stopped run is read and must be one stop's.",
            HelpName = "FILE",
        };
        var samples = new Option<string?>("--samples")
        {
            Description = "Write the delivered rows to this file: epoch, batch, path, weight (0 = repeated padding); {rank} in the name is replaced by the rank.",
            HelpName = "FILE",
        };
        var json = JsonOption.Create();
        var command = new Command("digest", "Print one SHA-256 over every batch's tensor bytes, labels and order: the same data, options and seed give the same digest whatever the parallelism.");
        pipeline.AddTo(command);
        distributed.AddTo(command);
        foreach (Option option in new Option[] { stopAfter, saveState, resume, samples, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            PipelineSettings settings = distributed.Apply(parse, pipeline.Resolve(parse, environment));
            string? resumePath = parse.GetValue(resume);
            var request = new DigestRequest
            {
                StopAfter = parse.GetValue(stopAfter),
                Resume = resumePath is null ? null : StateFiles.LoadEveryRank(resumePath, "--resume"),
                SamplesPath = parse.GetValue(samples),
            };
            DigestResult result = await ComputeAsync(settings, request, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(saveState) is string statePath)
            {
                StateFiles.Save(result.State, SampleList.PathFor(statePath, result.Rank), "--save-state");
            }

            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new
                {
                    Command = "digest",
                    Dataset = settings.Dataset.Root,
                    result.Sha256,
                    result.Batches,
                    result.Images,
                    Epochs = settings.Epochs,
                    result.Rank,
                    result.WorldSize,
                    result.Repeats,
                    result.BatchDigests,
                    State = result.State?.ToString(),
                    Seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                    FirstBatchSeconds = result.FirstBatch is TimeSpan first ? Math.Round(first.TotalSeconds, 3) : (double?)null,
                    ImagesPerSecond = result.Elapsed.TotalSeconds > 0 ? Math.Round(result.Images / result.Elapsed.TotalSeconds, 1) : 0,
                    Settings = settings.ToString(),
                    Report = ReportView.Data(result.Report),
                });
                return ExitCodes.Success;
            }

            IAnsiConsole console = environment.Console;
            console.MarkupLine($"[bold]digest[/] of {Markup.Escape(settings.Dataset.DisplayName)}");
            console.MarkupLine(Markup.Escape($"  pipeline: {settings}, validation split {settings.ValidationSplit}, {settings.Epochs} epoch(s), training subset"));
            console.MarkupLine(result.WorldSize == 1
                ? $"  {result.Batches} batches, {result.Images} images"
                : $"  rank {result.Rank} of {result.WorldSize}: {result.Batches} batches, {result.Images} images ({result.Repeats} repeated as padding)");
            console.MarkupLine($"sha256 [bold]{result.Sha256}[/]");
            ReportView.Write(console, ("digest", result.Report));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Streams the training subset of <paramref name="settings"/> and hashes every batch in order.</summary>
    public static Task<DigestResult> ComputeAsync(PipelineSettings settings, CancellationToken cancellationToken = default) =>
        ComputeAsync(settings, new DigestRequest(), cancellationToken);

    /// <summary>
    /// Streams this rank's part of the training subset of <paramref name="settings"/> (from a saved state when
    /// <paramref name="request"/> has one) and hashes every batch in order, and each batch alone.
    /// </summary>
    public static async Task<DigestResult> ComputeAsync(PipelineSettings settings, DigestRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(request);
        string root = settings.Dataset.Root;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var one = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long batches = 0, images = 0, repeats = 0;
        var digests = new List<string>();
        PipelineState? state = request.Resume;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? firstBatch = null;
        ImagePipelineBuilder builder = settings.Dataset.Builder(settings.For(Subset.Training));
        if (request.Resume is not null)
        {
            builder.ResumeFrom(request.Resume);
        }

        await using ImagePipeline pipeline = builder.BuildStream(cancellationToken);
        StreamWriter? list = request.SamplesPath is null ? null : SampleList.Create(request.SamplesPath, pipeline.Options.Rank ?? 0, "--samples");
        await using (list)
        {
            pipeline.Post(root);
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                firstBatch ??= clock.Elapsed;
                using (batch)
                {
                    Append(hash, batch, settings.Dataset);
                    Append(one, batch, settings.Dataset);
                    digests.Add(Convert.ToHexStringLower(one.GetHashAndReset()));
                    for (int r = 0; r < batch.Count; r++)
                    {
                        list?.WriteLine(SampleList.Line(batch.Epoch, batch.Index, settings.Dataset, batch.Paths[r], batch.Weights[r]));
                    }

                    batches++;
                    images += batch.Count;
                    repeats += batch.RepeatCount;
                    state = batch.State;
                }

                if (batches == request.StopAfter)
                {
                    break;
                }
            }
        }

        return new DigestResult(Convert.ToHexStringLower(hash.GetHashAndReset()), batches, images, pipeline.Report)
        {
            Rank = pipeline.Options.Rank ?? 0,
            WorldSize = pipeline.Options.WorldSize ?? 1,
            Repeats = repeats,
            BatchDigests = digests,
            State = state,
            Elapsed = clock.Elapsed,
            FirstBatch = firstBatch,
        };
    }

    private static void Append(IncrementalHash hash, Batch batch, DatasetLocation dataset)
    {
        hash.AppendData(MemoryMarshal.AsBytes<int>([batch.Epoch, batch.Index, batch.Count, .. batch.Shape]));
        hash.AppendData(MemoryMarshal.AsBytes<int>(batch.Labels));
        foreach (string path in batch.Paths)
        {
            // Relative, with '/', so the digest does not depend on where the dataset lies or on the OS.
            hash.AppendData(Encoding.UTF8.GetBytes(dataset.RelativePath(path) + "\0"));
        }

        hash.AppendData(MemoryMarshal.AsBytes(batch.Data));
        if (batch.RepeatCount > 0)
        {
            // Only batches with repeated rows hash their weights, so a single-process digest is what it always was.
            hash.AppendData(MemoryMarshal.AsBytes<float>(batch.Weights));
        }
        if (batch.Targets is Dataflow.Pipeline.Targets.BatchTargets targets)
        {
            // Only a dataset with targets hashes them, so every digest of a dataset without is what it always was.
            AppendTargets(hash, targets);
        }
    }

    /// <summary>Every target tensor of the batch in a fixed order, and each row's map back to its source.</summary>
    private static void AppendTargets(IncrementalHash hash, Dataflow.Pipeline.Targets.BatchTargets targets)
    {
        hash.AppendData(MemoryMarshal.AsBytes<int>([targets.MaxInstances, targets.KeypointCount, .. targets.Counts, .. targets.Dropped]));
        hash.AppendData(MemoryMarshal.AsBytes<float>(targets.Boxes));
        hash.AppendData(MemoryMarshal.AsBytes<int>(targets.Classes));
        foreach (string name in targets.FieldNames)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name + "\0"));
            hash.AppendData(MemoryMarshal.AsBytes<int>(targets.Field(name)));
        }

        hash.AppendData(MemoryMarshal.AsBytes<float>(targets.Keypoints ?? []));
        hash.AppendData(targets.Masks ?? []);
        hash.AppendData(targets.InstanceMasks ?? []);
        hash.AppendData(MemoryMarshal.AsBytes<float>(targets.MultiHot ?? []));
        foreach (string? text in targets.Texts ?? [])
        {
            hash.AppendData(text is null ? [0xFF] : Encoding.UTF8.GetBytes(text + "\0"));
        }

        foreach (Dataflow.Pipeline.Targets.SampleGeometry row in targets.Geometry)
        {
            Dataflow.Pipeline.Targets.Affine2D m = row.ToTensor;
            hash.AppendData(MemoryMarshal.AsBytes<double>([m.M11, m.M12, m.M13, m.M21, m.M22, m.M23]));
            hash.AppendData(MemoryMarshal.AsBytes<int>([row.Source.Width, row.Source.Height]));
        }
    }
}

/// <summary>A digest run's outcome.</summary>
/// <param name="Sha256">The digest, lower-case hex.</param>
/// <param name="Batches">Batches hashed.</param>
/// <param name="Images">Rows hashed.</param>
/// <param name="Report">The pipeline's report.</param>
public sealed record DigestResult(string Sha256, long Batches, long Images, PipelineReport Report)
{
    /// <summary>The rank the pipeline ran as.</summary>
    public int Rank { get; init; }

    /// <summary>The world size the pipeline ran with.</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>Rows that repeat a sample as padding (weight 0).</summary>
    public long Repeats { get; init; }

    /// <summary>One SHA-256 per batch, in order: a run stopped and resumed gives the uninterrupted run's list in two parts.</summary>
    public IReadOnlyList<string> BatchDigests { get; init; } = [];

    /// <summary>The loader state after the last delivered batch (the resumed state when none was delivered).</summary>
    public PipelineState? State { get; init; }

    /// <summary>Wall time from building the pipeline to its last batch.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Wall time from building the pipeline (with a state: resuming) to its first batch; null without one.</summary>
    public TimeSpan? FirstBatch { get; init; }
}
