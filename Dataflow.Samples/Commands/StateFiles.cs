using Dataflow.Pipeline.Distributed;

namespace Dataflow.Samples.Commands;

/// <summary>Reads and writes the loader state files of <c>digest</c> and <c>train</c>, with one-line errors naming the option.</summary>
public static class StateFiles
{
    /// <summary>The state file kept beside a model saved with <c>train --save FILE</c>.</summary>
    public static string BesideModel(string modelPath) => Path.GetFullPath(modelPath) + ".loader.json";

    /// <summary>Loads a state given with <paramref name="option"/>.</summary>
    /// <exception cref="UsageException">The file is missing or not a usable state; the line names the option, the file and why.</exception>
    public static PipelineState Load(string path, string option)
    {
        try
        {
            return PipelineState.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new UsageException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads the state to resume from. A path with <c>{rank}</c> names every rank's file of one stopped run: rank 0's
    /// says the world size, every rank's file is read, and the set must be one stop's (<see cref="PipelineState.Agreed"/>).
    /// </summary>
    /// <exception cref="UsageException">A file is missing or unusable, or the ranks' states disagree; the line names the option, the files and the ranks.</exception>
    public static PipelineState LoadEveryRank(string path, string option)
    {
        if (!path.Contains(SampleList.RankPlaceholder, StringComparison.Ordinal))
        {
            return Load(path, option);
        }

        PipelineState first = Load(SampleList.PathFor(path, 0), option);
        var states = new List<PipelineState> { first };
        for (int rank = 1; rank < first.WorldSize; rank++)
        {
            states.Add(Load(SampleList.PathFor(path, rank), option));
        }

        try
        {
            return PipelineState.Agreed(states);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{option}: {e.Message.Split(" (Parameter ", 2)[0]}", e);
        }
    }

    /// <summary>Saves <paramref name="state"/> for <paramref name="option"/>.</summary>
    /// <exception cref="UsageException">The folder does not exist, or the run delivered no batch (no state).</exception>
    public static void Save(PipelineState? state, string path, string option)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new UsageException($"{option}: the folder '{folder}' does not exist.");
        }

        if (state is null)
        {
            throw new UsageException($"{option}: the run delivered no batch, so there is no state to save.");
        }

        state.Save(full);
    }
}
