using System.Globalization;

namespace Dataflow.Samples.Commands;

/// <summary>A target image size.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct ImageSize(int Width, int Height)
{
    /// <summary>Parses <c>WIDTHxHEIGHT</c> (or a single number for a square) of whole numbers; the range is the caller's to check.</summary>
    public static bool TryParse(string? text, out ImageSize size)
    {
        size = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string[] parts = text.Split('x', 'X', '×');
        if (parts.Length is < 1 or > 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int width)
            || !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int height))
        {
            return false;
        }

        size = new ImageSize(width, height);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");
}
