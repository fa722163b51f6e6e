using System.CommandLine;
using System.Globalization;

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
            TValue? value = result.GetValueOrDefault<TValue>();
            if (!isValid(value!))
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
            string? value = result.GetValueOrDefault<string?>();
            if (value is not null && !choices.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{option.Name} must be one of {string.Join(", ", choices)}, was '{value}'.");
            }
        });
        return option;
    }
}
