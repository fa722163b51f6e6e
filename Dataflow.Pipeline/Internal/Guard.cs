using System.Globalization;

namespace Dataflow.Pipeline.Internal;

/// <summary>Argument checks whose messages state the option, the allowed values and the value given.</summary>
internal static class Guard
{
    public static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{name}\" must be between {min} and {max}, was {value}."));
        }
    }

    public static void InRange(double value, double min, double max, string name, bool maxExclusive = false, bool minExclusive = false)
    {
        bool ok = !double.IsNaN(value) && (minExclusive ? value > min : value >= min) && (maxExclusive ? value < max : value <= max);
        if (!ok)
        {
            string lower = minExclusive ? $"above {min.ToString(CultureInfo.InvariantCulture)}" : $"at least {min.ToString(CultureInfo.InvariantCulture)}";
            string upper = maxExclusive ? $"below {max.ToString(CultureInfo.InvariantCulture)}" : $"at most {max.ToString(CultureInfo.InvariantCulture)}";
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{name}\" must be {lower} and {upper}, was {value}."));
        }
    }

    public static void Defined<TEnum>(TEnum value, string name)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(name, value,
                $"Parameter \"{name}\" must be one of {string.Join(", ", Enum.GetNames<TEnum>())}, was {value}.");
        }
    }

    public static void Range(double low, double high, double min, double max, string name, bool minExclusive = false)
    {
        if (double.IsNaN(low) || double.IsNaN(high) || low > high || (minExclusive ? low <= min : low < min) || high > max)
        {
            string lower = minExclusive ? "<" : "<=";
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture,
                $"Parameter \"{name}\" must be a range (low, high) with {min} {lower} low <= high <= {max}, was ({low}, {high})."));
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
}
