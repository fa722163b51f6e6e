using System.CommandLine;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
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
        var json = JsonOption.Create();
        var command = new Command("digest", "Print one SHA-256 over every batch's tensor bytes, labels and order: the same data, options and seed give the same digest whatever the parallelism.");
        pipeline.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            PipelineSettings settings = pipeline.Resolve(parse, environment);
            DigestResult result = await ComputeAsync(settings, cancellationToken).ConfigureAwait(false);
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
                    Settings = settings.ToString(),
                    Report = ReportView.Data(result.Report),
                });
                return ExitCodes.Success;
            }

            IAnsiConsole console = environment.Console;
            console.MarkupLine($"[bold]digest[/] of {Markup.Escape(settings.Dataset.DisplayName)}");
            console.MarkupLine(Markup.Escape($"  pipeline: {settings}, validation split {settings.ValidationSplit}, {settings.Epochs} epoch(s), training subset"));
            console.MarkupLine($"  {result.Batches} batches, {result.Images} images");
            console.MarkupLine($"sha256 [bold]{result.Sha256}[/]");
            ReportView.Write(console, ("digest", result.Report));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Streams the training subset of <paramref name="settings"/> and hashes every batch in order.</summary>
    public static async Task<DigestResult> ComputeAsync(PipelineSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string root = settings.Dataset.Root;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long batches = 0, images = 0;
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(settings.For(Subset.Training)).Build((batch, _) =>
        {
            Append(hash, batch, root);
            batches++;
            images += batch.Count;
            return ValueTask.CompletedTask;
        }, cancellationToken);
        pipeline.Post(root);
        pipeline.Complete();
        await pipeline.Completion.ConfigureAwait(false);
        return new DigestResult(Convert.ToHexStringLower(hash.GetHashAndReset()), batches, images, pipeline.Report);
    }

    private static void Append(IncrementalHash hash, Batch batch, string root)
    {
        hash.AppendData(MemoryMarshal.AsBytes<int>([batch.Epoch, batch.Index, batch.Count, .. batch.Shape]));
        hash.AppendData(MemoryMarshal.AsBytes<int>(batch.Labels));
        foreach (string path in batch.Paths)
        {
            // Relative, with '/', so the digest does not depend on where the dataset lies or on the OS.
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, path).Replace('\\', '/') + "\0"));
        }

        hash.AppendData(MemoryMarshal.AsBytes(batch.Data));
    }
}

/// <summary>A digest run's outcome.</summary>
/// <param name="Sha256">The digest, lower-case hex.</param>
/// <param name="Batches">Batches hashed.</param>
/// <param name="Images">Rows hashed.</param>
/// <param name="Report">The pipeline's report.</param>
public sealed record DigestResult(string Sha256, long Batches, long Images, PipelineReport Report);
