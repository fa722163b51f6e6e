using System.CommandLine;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Distributed;
using Dataflow.Pipeline.Planning;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>plan</c>: prints this rank's samples of every epoch, in batch order, without reading or decoding an image (the
/// plan is a pure function of the dataset, the options, the seed, the epoch, the rank and the world size): one line
/// per row, <c>epoch batch path weight</c>, weight 0 marking a repeated padding row.
/// </summary>
public static class PlanCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var pipeline = new PipelineArguments(defaultEpochs: 1, defaultValidationSplit: 0);
        var distributed = new DistributedArguments();
        var resume = new Option<string?>("--resume") { Description = "Plan the rest of a run from a saved loader state.", HelpName = "FILE" };
        var output = new Option<string?>("--out") { Description = "Write the list to this file instead of the output; {rank} in the name is replaced by the rank.", HelpName = "FILE" };
        var json = JsonOption.Create();
        var command = new Command("plan", "Print this rank's samples of every epoch in batch order (epoch, batch, path, weight; weight 0 = repeated padding) without decoding.");
        pipeline.AddTo(command);
        distributed.AddTo(command);
        command.Options.Add(resume);
        command.Options.Add(output);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            PipelineSettings settings = distributed.Apply(parse, pipeline.Resolve(parse, environment));
            string? resumePath = parse.GetValue(resume);
            PipelineState? state = resumePath is null ? null : StateFiles.Load(resumePath, "--resume");
            PipelineOptions options = settings.For(Subset.Training);
            options.Validate();
            RankAssignment place = LauncherEnvironment.Resolve(options.Rank, options.WorldSize,
                options.ReadLauncherEnvironment ? Environment.GetEnvironmentVariable : static _ => null);
            options = options with { Rank = place.Rank, WorldSize = place.WorldSize };
            var planner = new PartitionPlanner(options, state);
            string root = settings.Dataset.Root;
            SampleSet set = await settings.Dataset.CreateSource(options).DiscoverAsync([root], cancellationToken).ConfigureAwait(false);

            int[] selected = DatasetSplit.Select(set, options.ValidationSplit, options.Subset, options.Seed);
            string? outPath = parse.GetValue(output);
            bool asJson = parse.GetValue(json);
            var epochs = new List<EpochData>();
            List<SampleData>? samples = asJson && outPath is null ? [] : null;
            await using (StreamWriter? file = outPath is null ? null : SampleList.Create(outPath, place.Rank, "--out"))
            {
                TextWriter writer = file ?? environment.Out;
                for (int epoch = planner.FirstEpoch; epoch < options.Epochs; epoch++)
                {
                    EpochPlan plan = planner.Plan(set, selected, epoch);
                    var byRow = new int[plan.BatchSize];
                    for (int b = 0; b < plan.BatchCount; b++)
                    {
                        int start = b * plan.BatchSize, count = plan.BatchLength(b);
                        for (int j = 0; j < count; j++)
                        {
                            byRow[plan.Rows[start + j]] = start + j;
                        }

                        for (int row = 0; row < count; row++)
                        {
                            int p = byRow[row];
                            string id = set.Samples[plan.Order[p]].Id;
                            float weight = plan.IsRepeat(p) ? 0 : 1;
                            if (samples is not null)
                            {
                                samples.Add(new SampleData(epoch, plan.FirstBatch + b, settings.Dataset.RelativePath(id), weight));
                            }
                            else
                            {
                                await writer.WriteLineAsync(SampleList.Line(epoch, plan.FirstBatch + b, settings.Dataset, id, weight)).ConfigureAwait(false);
                            }
                        }
                    }

                    epochs.Add(new EpochData(epoch, plan.BatchesInEpoch, plan.BatchCount, plan.Count, plan.RepeatCount, plan.Dropped));
                    if (file is not null && !asJson)
                    {
                        environment.Console.MarkupLine(Markup.Escape(
                            $"epoch {epoch}: {place}, {plan.BatchesInEpoch} steps ({plan.BatchCount} planned here), {plan.Count} rows, {plan.RepeatCount} repeated, {plan.Dropped} dropped"));
                    }
                }
            }

            if (asJson)
            {
                Json.Write(environment.Out, new PlanData(place.Rank, place.WorldSize, place.Source, root,
                    outPath is null ? null : SampleList.PathFor(outPath, place.Rank), epochs, samples));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private sealed record PlanData(int Rank, int WorldSize, string RankSource, string Root, string? File, IReadOnlyList<EpochData> Epochs, IReadOnlyList<SampleData>? Samples);

    private sealed record EpochData(int Epoch, int Steps, int BatchesPlanned, int Rows, int Repeated, int Dropped);

    private sealed record SampleData(int Epoch, int Batch, string Path, float Weight);
}
