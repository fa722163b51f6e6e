namespace Dataflow.Pipeline.Internal;

/// <summary>
/// Collects every failure of a set of options, then throws them together as one <see cref="PipelineOptionsException"/>
/// (Polly's <c>ValidationHelper</c> does the same): a user fixes all of them in one go instead of one per run.
/// </summary>
internal sealed class OptionChecks
{
    private readonly List<OptionFailure> _failures = [];

    /// <summary>The failures found so far, in the order the checks ran.</summary>
    public IReadOnlyList<OptionFailure> Failures => _failures;

    /// <summary>Records a failure of <paramref name="option"/> when <paramref name="message"/> is not null.</summary>
    /// <returns>True when the check passed (no message).</returns>
    public bool Add(string option, string? message)
    {
        if (message is null)
        {
            return true;
        }

        _failures.Add(new OptionFailure(option, message));
        return false;
    }

    public bool InRange(long value, long min, long max, string name) => Add(name, Guard.OutOfRange(value, min, max, name));

    public bool InRange(double value, double min, double max, string name, bool maxExclusive = false, bool minExclusive = false) =>
        Add(name, Guard.OutOfRange(value, min, max, name, maxExclusive, minExclusive));

    public bool Defined<TEnum>(TEnum value, string name)
        where TEnum : struct, Enum => Add(name, Guard.Undefined(value, name));

    /// <summary>Throws one <see cref="PipelineOptionsException"/> listing every failure, if there is any.</summary>
    /// <exception cref="PipelineOptionsException">At least one check failed.</exception>
    public void ThrowIfAny()
    {
        if (_failures.Count > 0)
        {
            throw new PipelineOptionsException(_failures);
        }
    }
}
