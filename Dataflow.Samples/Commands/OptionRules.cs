using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Dataflow.Samples.Commands;

/// <summary>Parse-time checks whose one-line messages name the option, the allowed values and the value given.</summary>
public static class OptionRules
{
    /// <summary>Adds a check that the value satisfies <paramref name="isValid"/>; otherwise "<c>--name rule, was value.</c>".</summary>
    public static T Require<T, TValue>(this T option, Func<TValue, bool> isValid, string rule)
        where T : Option<TValue>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out TValue? value) && !isValid(value!))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {rule}, was {value}."));
            }
        });
        return option;
    }

    /// <summary>An integer between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static Option<int> InRange(this Option<int> option, int min, int max) =>
        option.Require<Option<int>, int>(v => v >= min && v <= max, $"must be between {min} and {max}");

    /// <summary>A number at least <paramref name="min"/> and below <paramref name="maxExclusive"/>.</summary>
    public static Option<float> InRange(this Option<float> option, float min, float maxExclusive) =>
        option.Require<Option<float>, float>(v => v >= min && v < maxExclusive,
            string.Create(CultureInfo.InvariantCulture, $"must be at least {min} and below {maxExclusive}"));

    /// <summary>A number between <paramref name="min"/> and <paramref name="max"/>, or absent.</summary>
    public static Option<double?> Between(this Option<double?> option, double min, double max) =>
        option.Require<Option<double?>, double?>(v => v is null || (v >= min && v <= max),
            string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max}"));

    /// <summary>One of <paramref name="choices"/> (exactly as written), or absent.</summary>
    public static T OneOf<T>(this T option, IReadOnlyList<string> choices)
        where T : Option
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(choices);
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out string? value) && value is not null && !choices.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{option.Name} must be one of {string.Join(", ", choices)}, was '{value}'.");
            }
        });
        return option;
    }

    /// <summary>
    /// Gives every numeric option of <paramref name="command"/> and its sub-commands (int, long, float, double, and
    /// their nullable forms) one parser: invariant culture, integers without exponent, finite numbers only, and on
    /// failure the one line "<c>--name must be an integer, was 'value'.</c>". Options with their own parser keep it.
    /// </summary>
    /// <remarks>
    /// Without it the parser's default message names the .NET type ("as expected type 'System.Int32'").
    /// </remarks>
    public static void ParseNumbers(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in command.Options)
        {
            switch (option)
            {
                case Option<int> o: o.CustomParser ??= Number<int>(o.Name, NumberStyles.Integer, "an integer"); break;
                case Option<int?> o: o.CustomParser ??= NullableNumber<int>(o.Name, NumberStyles.Integer, "an integer"); break;
                case Option<long> o: o.CustomParser ??= Number<long>(o.Name, NumberStyles.Integer, "an integer"); break;
                case Option<long?> o: o.CustomParser ??= NullableNumber<long>(o.Name, NumberStyles.Integer, "an integer"); break;
                case Option<float> o: o.CustomParser ??= Number<float>(o.Name, NumberStyles.Float, "a number"); break;
                case Option<float?> o: o.CustomParser ??= NullableNumber<float>(o.Name, NumberStyles.Float, "a number"); break;
                case Option<double> o: o.CustomParser ??= Number<double>(o.Name, NumberStyles.Float, "a number"); break;
                case Option<double?> o: o.CustomParser ??= NullableNumber<double>(o.Name, NumberStyles.Float, "a number"); break;
            }
        }

        foreach (Command sub in command.Subcommands)
        {
            ParseNumbers(sub);
        }
    }

    /// <summary>
    /// The option's value, or false when it could not be converted. The parser runs an option's validators even
    /// when converting its value failed (dotnet/command-line-api#2645), and reading the value then throws
    /// <see cref="InvalidOperationException"/>; the conversion's own error is the one to report, so the check is
    /// passed over.
    /// </summary>
    private static bool TryGetValue<TValue>(OptionResult result, out TValue? value)
    {
        try
        {
            value = result.GetValueOrDefault<TValue>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }

    private static Func<ArgumentResult, T> Number<T>(string name, NumberStyles styles, string kind)
        where T : struct, INumber<T> =>
        result => TryParse(result, name, styles, kind, out T value) ? value : default;

    private static Func<ArgumentResult, T?> NullableNumber<T>(string name, NumberStyles styles, string kind)
        where T : struct, INumber<T> =>
        result => TryParse(result, name, styles, kind, out T value) ? value : null;

    private static bool TryParse<T>(ArgumentResult result, string name, NumberStyles styles, string kind, out T value)
        where T : struct, INumber<T>
    {
        value = default;
        if (result.Tokens.Count == 0)
        {
            // A missing value is the arity check's error, reported by the parser.
            return false;
        }

        string text = result.Tokens[^1].Value;
        if (T.TryParse(text, styles, CultureInfo.InvariantCulture, out value) && T.IsFinite(value))
        {
            return true;
        }

        result.AddError($"{name} must be {kind}, was '{text}'.");
        return false;
    }
}
