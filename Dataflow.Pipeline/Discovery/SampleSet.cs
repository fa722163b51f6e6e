namespace Dataflow.Pipeline.Discovery;

/// <summary>What a source discovered: the classes, the samples and what it passed over.</summary>
public sealed class SampleSet
{
    /// <summary>Creates a set; the samples' <see cref="SampleInfo.Index"/> must equal their position.</summary>
    public SampleSet(IReadOnlyList<string> classNames, IReadOnlyList<SampleInfo> samples, IReadOnlyList<IgnoredEntry>? ignored = null)
        : this(classNames, samples, ignored, check: true)
    {
    }

    /// <summary>
    /// Creates a set over samples held compactly (each made when asked for), whose labels are read without making them.
    /// The source has checked the indices and labels: checking them here would make every sample once.
    /// </summary>
    internal SampleSet(IReadOnlyList<string> classNames, ICompactSamples samples, IReadOnlyList<IgnoredEntry>? ignored = null)
        : this(classNames, samples, ignored, check: false)
    {
    }

    private SampleSet(IReadOnlyList<string> classNames, IReadOnlyList<SampleInfo> samples, IReadOnlyList<IgnoredEntry>? ignored, bool check)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(samples);
        for (int i = 0; check && i < samples.Count; i++)
        {
            if (samples[i].Index != i)
            {
                throw new ArgumentException($"Sample {samples[i]} is at position {i} but has index {samples[i].Index}.", nameof(samples));
            }

            if ((uint)samples[i].Label >= (uint)classNames.Count)
            {
                throw new ArgumentException($"Sample {samples[i]} has label {samples[i].Label}; there are {classNames.Count} classes.", nameof(samples));
            }

            _firstWithTargets ??= samples[i].Targets is null ? null : samples[i];
        }

        ClassNames = classNames;
        Samples = samples;
        Ignored = ignored ?? [];
    }

    private readonly SampleInfo? _firstWithTargets;
    private readonly Targets.TargetSchema? _targetSchema;

    /// <summary>What the samples' <see cref="SampleInfo.Targets"/> are, or null when they have none (labels only).</summary>
    /// <exception cref="ArgumentException">When set: a sample's targets do not fit the schema (<see cref="Targets.TargetSchema.Check"/>);
    /// the message names the sample and the annotation.</exception>
    public Targets.TargetSchema? TargetSchema
    {
        get => _targetSchema;
        init
        {
            for (int i = 0; value is not null && i < Samples.Count; i++)
            {
                if (value.Check(Samples[i]) is string problem)
                {
                    throw new ArgumentException(problem, nameof(TargetSchema));
                }
            }

            _targetSchema = value;
        }
    }

    /// <summary>
    /// Why the set cannot be used as it is (a sample has targets the set has no <see cref="TargetSchema"/> for: they would be
    /// lost), or null.
    /// </summary>
    internal string? TargetsProblem => _firstWithTargets is not null && _targetSchema is null
        ? $"Sample {_firstWithTargets} has targets but the set has no {nameof(TargetSchema)} to say what they are; set SampleSet.{nameof(TargetSchema)}."
        : null;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Every sample, in discovery order.</summary>
    public IReadOnlyList<SampleInfo> Samples { get; }

    /// <summary>Entries found that are not samples, each with the reason.</summary>
    public IReadOnlyList<IgnoredEntry> Ignored { get; }

    /// <summary>The label of sample <paramref name="index"/>, without making the sample where the source holds it compactly.</summary>
    internal int LabelOf(int index) => Samples is ICompactSamples compact ? compact.LabelOf(index) : Samples[index].Label;
}
