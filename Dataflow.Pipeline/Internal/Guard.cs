using System.Globalization;

namespace Dataflow.Pipeline.Internal;

/// <summary>
/// Argument checks whose messages state the option, the allowed values and the value given. Each check has a
/// form that throws (constructors) and one that returns the message, or null when the value is allowed
/// (<see cref="OptionChecks"/> collects those, to report every failure of a set of options at once).
/// </summary>
internal static class Guard
{
    public static void InRange(int value, int min, int max, string name) => ThrowIf(OutOfRange(value, min, max, name), name, value);

    public static void InRange(double value, double min, double max, string name, bool maxExclusive = false, bool minExclusive = false) =>
        ThrowIf(OutOfRange(value, min, max, name, maxExclusive, minExclusive), name, value);

    public static void Defined<TEnum>(TEnum value, string name)
        where TEnum : struct, Enum => ThrowIf(Undefined(value, name), name, value);

    public static void Range(double low, double high, double min, double max, string name, bool minExclusive = false)
    {
        if (BadRange(low, high, min, max, name, minExclusive) is string message)
        {
            throw new ArgumentOutOfRangeException(name, message);
        }
    }

    public static void Probability(double p, string name) => InRange(p, 0.0, 1.0, name);

    public static void AtLeast(double value, double min, string name)
    {
        if (double.IsNaN(value) || value < min || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{name}\" must be a finite number of at least {min}, was {value}."));
        }
    }

    public static void OddInRange(int value, int min, int max, string name)
    {
        if (value < min || value > max || value % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{name}\" must be an odd number between {min} and {max}, was {value}."));
        }
    }

    /// <summary>The failure message when <paramref name="value"/> is outside [min, max]; otherwise null.</summary>
    public static string? OutOfRange(long value, long min, long max, string name) => value < min || value > max
        ? string.Create(CultureInfo.InvariantCulture, $"Parameter \"{name}\" must be between {min} and {max}, was {value}.")
        : null;

    /// <summary>The failure message when <paramref name="value"/> is NaN or outside the bounds; otherwise null.</summary>
    public static string? OutOfRange(double value, double min, double max, string name, bool maxExclusive = false, bool minExclusive = false)
    {
        bool ok = !double.IsNaN(value) && (minExclusive ? value > min : value >= min) && (maxExclusive ? value < max : value <= max);
        if (ok)
        {
            return null;
        }

        string lower = minExclusive ? $"above {min.ToString(CultureInfo.InvariantCulture)}" : $"at least {min.ToString(CultureInfo.InvariantCulture)}";
        string upper = maxExclusive ? $"below {max.ToString(CultureInfo.InvariantCulture)}" : $"at most {max.ToString(CultureInfo.InvariantCulture)}";
        return string.Create(CultureInfo.InvariantCulture, $"Parameter \"{name}\" must be {lower} and {upper}, was {value}.");
    }

    /// <summary>The failure message when <paramref name="value"/> is not a named value of its enum; otherwise null.</summary>
    /// <remarks>The non-generic <see cref="Enum.IsDefined(Type, object)"/> is precompiled; the generic one is compiled at
    /// start-up for each enum (a check made once per option, where a box costs nothing).</remarks>
    public static string? Undefined<TEnum>(TEnum value, string name)
        where TEnum : struct, Enum => Enum.IsDefined(typeof(TEnum), value)
        ? null
        : $"Parameter \"{name}\" must be one of {string.Join(", ", Enum.GetNames<TEnum>())}, was {value}.";

    /// <summary>The failure message when (low, high) is not an ordered range inside the bounds; otherwise null.</summary>
    public static string? BadRange(double low, double high, double min, double max, string name, bool minExclusive = false)
    {
        if (!double.IsNaN(low) && !double.IsNaN(high) && low <= high && (minExclusive ? low > min : low >= min) && high <= max)
        {
            return null;
        }

        string lower = minExclusive ? "<" : "<=";
        return string.Create(CultureInfo.InvariantCulture,
            $"Parameter \"{name}\" must be a range (low, high) with {min} {lower} low <= high <= {max}, was ({low}, {high}).");
    }

    private static void ThrowIf(string? message, string name, object value)
    {
        if (message is not null)
        {
            throw new ArgumentOutOfRangeException(name, value, message);
        }
    }
}
