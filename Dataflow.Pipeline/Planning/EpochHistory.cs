using System.Collections.Concurrent;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// The epochs the pipelines of this process have started, by dataset and options: a pipeline built again per epoch
/// without <see cref="PipelineOptions.FirstEpoch"/> streams epoch 0 again (the same order and augmentation), and is told.
/// </summary>
internal static class EpochHistory
{
    private static readonly ConcurrentDictionary<(string Run, int Epoch), byte> Started = new();

    /// <summary>
    /// What identifies a run's batches: the roots as posted, the subset's size, rank and world size, and the options that
    /// shape batches; null when every epoch gives the same batches anyway (no shuffle and no augmentation).
    /// </summary>
    public static string? Key(PipelineOptions options, IReadOnlyList<string> roots, int selected)
    {
        bool random = options.Shuffle || options.ShuffleWithinBatch || options.Augmentations.Count > 0 || options.BatchAugmentations.Count > 0;
        return random
            ? $"{Distributed.PipelineStateIdentity.For(options, string.Join('\n', roots), selected)}|{options.Rank}|{options.WorldSize}"
            : null;
    }

    /// <summary>Records that a run with <paramref name="key"/> starts <paramref name="epoch"/>; false when one had already.</summary>
    public static bool TryStart(string key, int epoch) => Started.TryAdd((key, epoch), 0);
}
