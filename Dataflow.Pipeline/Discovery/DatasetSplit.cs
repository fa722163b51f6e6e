namespace Dataflow.Pipeline.Discovery;

/// <summary>Which part of a validation split a pipeline streams.</summary>
public enum Subset
{
    /// <summary>The training part (everything when there is no split).</summary>
    Training,

    /// <summary>The validation part.</summary>
    Validation,
}

/// <summary>
/// A seeded, per-class (stratified) split of a sample set into training and validation parts:
/// disjoint, and together the whole set.
/// </summary>
public static class DatasetSplit
{
    /// <summary>
    /// The sample indices in <paramref name="subset"/>, ascending. Each class contributes
    /// round(<paramref name="validationFraction"/> × its size) samples to validation, chosen by a
    /// shuffle seeded from (<paramref name="seed"/>, class).
    /// </summary>
    public static int[] Select(SampleSet set, double validationFraction, Subset subset, long seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (validationFraction <= 0)
        {
            return subset == Subset.Training ? [.. Enumerable.Range(0, set.Samples.Count)] : [];
        }

        var byClass = new List<int>[set.ClassNames.Count];
        for (int i = 0; i < byClass.Length; i++)
        {
            byClass[i] = [];
        }

        foreach (SampleInfo s in set.Samples)
        {
            byClass[s.Label].Add(s.Index);
        }

        var chosen = new List<int>();
        var random = new SampleRandom(seed, Planning.RandomStreams.ValidationSplit, 0, 0);
        for (int label = 0; label < byClass.Length; label++)
        {
            int[] members = [.. byClass[label]];
            random.Reset(seed, Planning.RandomStreams.ValidationSplit, label, 0);
            random.Shuffle<int>(members);
            int validation = (int)Math.Round(members.Length * validationFraction, MidpointRounding.AwayFromZero);
            chosen.AddRange(subset == Subset.Validation ? members.AsSpan(0, validation) : members.AsSpan(validation));
        }

        chosen.Sort();
        return [.. chosen];
    }
}
