using System.CommandLine;
using Dataflow.Pipeline.Distributed;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>--rank</c>, <c>--world-size</c>, <c>--launcher</c> and <c>--remainder</c>: this process's part of a data-parallel run.
/// The launcher's variables (torchrun, mpirun, srun) are read only with <c>--launcher</c>; without it and without
/// <c>--rank</c>/<c>--world-size</c> the process is rank 0 of 1 and reads every sample.
/// </summary>
public sealed class DistributedArguments
{
    /// <summary>The <c>--remainder</c> choices.</summary>
    public static IReadOnlyList<string> RemainderChoices { get; } = ["pad", "drop", "uneven"];

    /// <summary>Declares the options.</summary>
    public DistributedArguments()
    {
        // The ranges of --rank and --world-size are the library's, checked in Apply.
        Remainder.OneOf(RemainderChoices);
    }

    /// <summary><c>--rank N</c>.</summary>
    public Option<int?> Rank { get; } = new("--rank")
    {
        Description = "This process's rank, from 0. Default: with --launcher from RANK, OMPI_COMM_WORLD_RANK, PMI_RANK or SLURM_PROCID; else 0.",
    };

    /// <summary><c>--world-size N</c>.</summary>
    public Option<int?> WorldSize { get; } = new("--world-size")
    {
        Description = "Processes sharing each epoch. Default: with --launcher from WORLD_SIZE, OMPI_COMM_WORLD_SIZE, PMI_SIZE or SLURM_NTASKS; else 1.",
    };

    /// <summary><c>--launcher</c>.</summary>
    public Option<bool> Launcher { get; } = new("--launcher")
    {
        Description = "Take the rank and world size not given by --rank and --world-size from the launcher's variables (torchrun, mpirun, srun). Without it a launched process reads every sample.",
    };

    /// <summary><c>--remainder pad|drop|uneven</c>.</summary>
    public Option<string> Remainder { get; } = new("--remainder")
    {
        Description = "An epoch's last samples that do not fill every rank's batch: pad (repeat, weight 0; equal steps), drop (leave out; equal steps) or uneven.",
        DefaultValueFactory = _ => "pad",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Rank);
        command.Options.Add(WorldSize);
        command.Options.Add(Launcher);
        command.Options.Add(Remainder);
    }

    /// <summary><paramref name="settings"/> with the rank, world size and policy read from <paramref name="parse"/>.</summary>
    /// <exception cref="UsageException">The library refused the rank or the world size (the message names the flag).</exception>
    public PipelineSettings Apply(ParseResult parse, PipelineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(settings);
        PipelineSettings placed = settings with
        {
            Rank = parse.GetValue(Rank),
            WorldSize = parse.GetValue(WorldSize),
            ReadLauncherEnvironment = parse.GetValue(Launcher),
            Remainder = parse.GetValue(Remainder) switch { "drop" => RemainderPolicy.Drop, "uneven" => RemainderPolicy.Uneven, _ => RemainderPolicy.Pad },
        };
        LibraryOptionFailures.Check(placed, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [nameof(Dataflow.Pipeline.PipelineOptions.Rank)] = Rank.Name,
            [nameof(Dataflow.Pipeline.PipelineOptions.WorldSize)] = WorldSize.Name,
        });
        return placed;
    }
}
