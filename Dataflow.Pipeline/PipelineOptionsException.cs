namespace Dataflow.Pipeline;

/// <summary>
/// Options that cannot build a pipeline: every failure found, each naming the option, the allowed values and the value
/// given. <see cref="ArgumentException.ParamName"/> is the first failing option; <see cref="Failures"/> lists them all.
/// </summary>
/// <remarks>
/// With one failure the message is that failure's message; with several it is a first line counting them, then one
/// line per failure (<c>- Parameter "Width" must be between 1 and 16384, was 0.</c>), in the order the options are declared.
/// </remarks>
public sealed class PipelineOptionsException : ArgumentException
{
    private readonly string _message;

    /// <summary>Creates the exception from at least one failure.</summary>
    /// <exception cref="ArgumentException"><paramref name="failures"/> is empty.</exception>
    public PipelineOptionsException(IEnumerable<OptionFailure> failures)
        : this([.. failures ?? throw new ArgumentNullException(nameof(failures))])
    {
    }

    private PipelineOptionsException(OptionFailure[] failures)
        : base(Compose(failures), failures.Length > 0 ? failures[0].Option : null)
    {
        _message = Compose(failures);
        Failures = failures.AsReadOnly();
    }

    /// <summary>Every failure, in the order the options are declared.</summary>
    public IReadOnlyList<OptionFailure> Failures { get; }

    /// <summary>The failure's message, or a count followed by one line per failure.</summary>
    /// <remarks>Unlike <see cref="ArgumentException.Message"/> it does not append the parameter name: every line names its option.</remarks>
    public override string Message => _message;

    private static string Compose(OptionFailure[] failures) => failures.Length switch
    {
        0 => throw new ArgumentException("At least one failure is needed.", nameof(failures)),
        1 => failures[0].Message,
        _ => $"Invalid pipeline options ({failures.Length} failures):{string.Concat(failures.Select(f => Environment.NewLine + "- " + f.Message))}",
    };
}
