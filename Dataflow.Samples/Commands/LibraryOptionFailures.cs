using Dataflow.Pipeline;

namespace Dataflow.Samples.Commands;

/// <summary>
/// The library's own checks of <see cref="PipelineOptions"/>, reported in the command's words: each failure names the
/// flag that set the option instead of the property, so the command line states no range of its own.
/// </summary>
public static class LibraryOptionFailures
{
    /// <summary>Validates <paramref name="options"/>; every failure, in one line, names its flag from <paramref name="flags"/>.</summary>
    /// <param name="options">The options a command built from its flags.</param>
    /// <param name="flags">The flag of each option property the command sets, by the name the library reports (<c>BatchSize</c>, <c>Decode.MaxDegreeOfParallelism</c> ...).</param>
    /// <exception cref="UsageException">The library refused at least one value.</exception>
    public static void Check(PipelineOptions options, IReadOnlyDictionary<string, string> flags)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(flags);
        try
        {
            options.Validate();
        }
        catch (PipelineOptionsException e)
        {
            throw new UsageException(string.Join(' ', e.Failures.Select(f => Describe(f, flags)).Distinct(StringComparer.Ordinal)));
        }
    }

    /// <summary>Validates the training options of <paramref name="settings"/> (one epoch when it has none: train's "only evaluate"), as <see cref="Check(PipelineOptions, IReadOnlyDictionary{string, string})"/>.</summary>
    /// <exception cref="UsageException">The library refused at least one value.</exception>
    public static void Check(PipelineSettings settings, IReadOnlyDictionary<string, string> flags)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Check(settings.For(Dataflow.Pipeline.Discovery.Subset.Training, epochs: settings.Epochs == 0 ? 1 : null), flags);
    }

    /// <summary>
    /// The message of an argument a library constructor refused (<c>Parameter "p" must be at least 0 and at most 1, was
    /// 2.</c>) with the parameter replaced by <paramref name="flag"/>, without .NET's added lines.
    /// </summary>
    public static string Describe(ArgumentException refused, string flag)
    {
        ArgumentNullException.ThrowIfNull(refused);
        string message = refused.Message.Split('\n')[0];
        string suffix = $" (Parameter '{refused.ParamName}')";
        message = message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
        string prefix = $"Parameter \"{refused.ParamName}\"";
        return message.StartsWith(prefix, StringComparison.Ordinal) ? flag + message[prefix.Length..] : $"{flag}: {message}";
    }

    /// <summary>
    /// The failure's message with its leading <c>Parameter "Name"</c> replaced by the flag (<c>--batch-size must be
    /// between 1 and 65536, was 0.</c>); a failure of an option no flag sets keeps the library's words.
    /// </summary>
    public static string Describe(OptionFailure failure, IReadOnlyDictionary<string, string> flags)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(flags);
        string prefix = $"Parameter \"{failure.Option}\"";
        return flags.TryGetValue(failure.Option, out string? flag) && failure.Message.StartsWith(prefix, StringComparison.Ordinal)
            ? flag + failure.Message[prefix.Length..]
            : failure.Message;
    }
}
