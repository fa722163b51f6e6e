namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// A seeded, per-class (stratified) split of a sample set into training and validation parts:
/// disjoint, and together the whole set.
/// </summary>
/// <remarks>
/// Samples with the same <see cref="SampleInfo.Id"/> (one file listed twice by a source) always land in the same
/// part: a file is never in both. Each class splits its distinct ids; an id already placed by an earlier class
/// goes where it went there.
/// </remarks>
public static class DatasetSplit
{
    /// <summary>
    /// The sample indices in <paramref name="subset"/>, ascending. Each class contributes
    /// round(<paramref name="validationFraction"/> × its distinct ids) ids to validation, chosen by a
    /// shuffle seeded from (<paramref name="seed"/>, class).
    /// </summary>
    public static int[] Select(SampleSet set, double validationFraction, Subset subset, long seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (validationFraction <= 0)
        {
            return subset == Subset.Training ? Positions(set.Samples.Count) : [];
        }

        // Each class's distinct ids in sample order, and the indices carrying each id.
        var byClass = new List<string>[set.ClassNames.Count];
        for (int i = 0; i < byClass.Length; i++)
        {
            byClass[i] = [];
        }

        var indices = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var inClass = new HashSet<(string Id, int Label)>();
        foreach (SampleInfo s in set.Samples)
        {
            if (!indices.TryGetValue(s.Id, out List<int>? carrying))
            {
                indices[s.Id] = carrying = [];
            }

            carrying.Add(s.Index);
            if (inClass.Add((s.Id, s.Label)))
            {
                byClass[s.Label].Add(s.Id);
            }
        }

        var inValidation = new Dictionary<string, bool>(StringComparer.Ordinal);
        var random = new SampleRandom(seed, Planning.RandomStreams.ValidationSplit, 0, 0);
        for (int label = 0; label < byClass.Length; label++)
        {
            // An id placed by an earlier class stays where it is.
            string[] members = [.. byClass[label].Where(id => !inValidation.ContainsKey(id))];
            random.Reset(seed, Planning.RandomStreams.ValidationSplit, label, 0);
            random.Shuffle<string>(members);
            int validation = (int)Math.Round(members.Length * validationFraction, MidpointRounding.AwayFromZero);
            for (int i = 0; i < members.Length; i++)
            {
                inValidation[members[i]] = i < validation;
            }
        }

        bool wanted = subset == Subset.Validation;
        var chosen = new List<int>();
        foreach ((string id, List<int> carrying) in indices)
        {
            if (inValidation[id] == wanted)
            {
                chosen.AddRange(carrying);
            }
        }

        chosen.Sort();
        return [.. chosen];
    }

    /// <summary>0, 1, …, <paramref name="count"/> − 1: every sample (a loop, not <c>Enumerable.Range</c>, whose code for
    /// <see cref="int"/> is compiled at start-up).</summary>
    private static int[] Positions(int count)
    {
        int[] all = new int[count];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }

        return all;
    }
}
