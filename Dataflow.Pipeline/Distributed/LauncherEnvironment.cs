using System.Globalization;

namespace Dataflow.Pipeline.Distributed;

/// <summary>
/// Reads a process's rank and world size from the variables that the usual launchers set: <c>RANK</c>/<c>WORLD_SIZE</c>
/// (torchrun), <c>OMPI_COMM_WORLD_RANK</c>/<c>OMPI_COMM_WORLD_SIZE</c> (Open MPI's mpirun),
/// <c>PMI_RANK</c>/<c>PMI_SIZE</c> (MPICH, Intel MPI) and <c>SLURM_PROCID</c>/<c>SLURM_NTASKS</c> (srun).
/// </summary>
/// <remarks>
/// Explicit values win over the environment. When several launchers' variables are set they must agree; a pair
/// set by half, a value that is not a number, or a rank outside the world is an <see cref="ArgumentException"/>
/// naming the variables and their values. What the environment cannot reveal (two processes given the same rank
/// by hand) needs communication between the processes and is not detected.
/// </remarks>
public static class LauncherEnvironment
{
    /// <summary>The launchers' variable pairs, in the order they are read: (rank variable, size variable, launcher).</summary>
    public static IReadOnlyList<(string Rank, string Size, string Launcher)> Variables { get; } =
    [
        ("RANK", "WORLD_SIZE", "torchrun"),
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "Open MPI"),
        ("PMI_RANK", "PMI_SIZE", "MPICH / Intel MPI"),
        ("SLURM_PROCID", "SLURM_NTASKS", "SLURM"),
    ];

    /// <summary>The rank and world size the launcher variables give, or null when none is set.</summary>
    /// <param name="variable">Reads one variable (null when unset); <see cref="Environment.GetEnvironmentVariable(string)"/> for the process's own.</param>
    /// <exception cref="ArgumentException">A pair is set by half, a value is not a whole number or is out of range, or two launchers disagree.</exception>
    public static RankAssignment? Read(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        RankAssignment? found = null;
        foreach ((string rankName, string sizeName, string launcher) in Variables)
        {
            string? rankText = Value(variable, rankName);
            string? sizeText = Value(variable, sizeName);
            if (rankText is null && sizeText is null)
            {
                continue;
            }

            if (rankText is null || sizeText is null)
            {
                string set = rankText is null ? $"{sizeName}={sizeText}" : $"{rankName}={rankText}";
                string missing = rankText is null ? rankName : sizeName;
                throw new ArgumentException($"The {launcher} variables are set by half: {set} but {missing} is not set; a launcher sets both.", missing);
            }

            int rank = Parse(rankName, rankText, 0);
            int size = Parse(sizeName, sizeText, 1);
            string source = $"{rankName}={rankText}, {sizeName}={sizeText}";
            if (rank >= size)
            {
                throw new ArgumentOutOfRangeException(rankName, rank, $"Variable \"{rankName}\" must be below {sizeName} ({size}), was {rank} ({source}).");
            }

            if (found is not null && (found.Rank != rank || found.WorldSize != size))
            {
                throw new ArgumentException(
                    $"The launchers' variables disagree: {found.Source} but {source}. Set PipelineOptions.Rank and WorldSize (or --rank and --world-size) to choose.", rankName);
            }

            found ??= new RankAssignment(rank, size, source);
        }

        return found;
    }

    /// <summary>
    /// This process's rank and world size: <paramref name="rank"/> and <paramref name="worldSize"/> where given, the
    /// launcher variables for the rest, else rank 0 of 1.
    /// </summary>
    /// <exception cref="ArgumentException">The variables are inconsistent (see <see cref="Read"/>), or the combined rank is not below the world size.</exception>
    public static RankAssignment Resolve(int? rank, int? worldSize, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (rank is int r && worldSize is int w)
        {
            return Checked(r, w, "options");
        }

        RankAssignment? launched = Read(variable);
        string source = (rank, worldSize, launched) switch
        {
            (_, _, null) => rank is null && worldSize is null ? "default" : "options",
            (null, null, _) => launched.Source,
            _ => $"options and {launched.Source}",
        };
        return Checked(rank ?? launched?.Rank ?? 0, worldSize ?? launched?.WorldSize ?? 1, source);
    }

    private static RankAssignment Checked(int rank, int worldSize, string source)
    {
        if (worldSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PipelineOptions.WorldSize), worldSize,
                $"Parameter \"{nameof(PipelineOptions.WorldSize)}\" must be at least 1, was {worldSize} ({source}).");
        }

        if (rank < 0 || rank >= worldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PipelineOptions.Rank), rank, string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{nameof(PipelineOptions.Rank)}\" must be between 0 and {worldSize - 1} (WorldSize {worldSize}), was {rank} ({source})."));
        }

        return new RankAssignment(rank, worldSize, source);
    }

    /// <summary>Every launcher variable that is set, as <c>NAME=value</c> joined by ", "; null when none is.</summary>
    /// <param name="variable">Reads one variable (null when unset).</param>
    public static string? Describe(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var set = new List<string>();
        foreach ((string rankName, string sizeName, _) in Variables)
        {
            foreach (string name in (ReadOnlySpan<string>)[rankName, sizeName])
            {
                if (Value(variable, name) is string value)
                {
                    set.Add($"{name}={value}");
                }
            }
        }

        return set.Count == 0 ? null : string.Join(", ", set);
    }

    private static string? Value(Func<string, string?> variable, string name)
    {
        string? value = variable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static int Parse(string name, string text, int min)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min)
        {
            throw new ArgumentOutOfRangeException(name, text, $"Variable \"{name}\" must be a whole number of at least {min}, was '{text}'.");
        }

        return value;
    }
}
