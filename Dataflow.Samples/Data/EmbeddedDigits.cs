using System.Security.Cryptography;
using OpenCvSharp;

namespace Dataflow.Samples.Data;

/// <summary>
/// OpenCV's handwritten-digits sheet (embedded; provenance in Data/README.md), cut on first use into
/// class folders <c>0/</c> … <c>9/</c> of 20×20 PNGs in a cache folder, so the samples exercise the real
/// folder → graph path. The folder is named by the sheet's hash and reused by later runs.
/// </summary>
public static class EmbeddedDigits
{
    /// <summary>Digit side in pixels.</summary>
    public const int CellSize = 20;

    /// <summary>Rows of digits on the sheet.</summary>
    public const int Rows = 50;

    /// <summary>Digits per row.</summary>
    public const int Columns = 100;

    /// <summary>Consecutive rows that hold one class.</summary>
    public const int RowsPerClass = 5;

    /// <summary>Digits on the sheet.</summary>
    public const int Count = Rows * Columns;

    /// <summary>Digits per class.</summary>
    public const int PerClass = RowsPerClass * Columns;

    private const string ResourceName = "Dataflow.Samples.Data.digits.png";

    /// <summary>The sheet's PNG bytes.</summary>
    public static byte[] ReadSheet()
    {
        using Stream stream = typeof(EmbeddedDigits).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// The folder of class folders for the sheet under <paramref name="cacheRoot"/>, cut now if it is not
    /// there yet. The cut is written to a private folder and renamed into place in one step, so an
    /// interrupted first run leaves no half folder behind and concurrent first runs do not clash.
    /// </summary>
    public static string EnsureExtracted(string cacheRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheRoot);
        byte[] sheet = ReadSheet();
        string hash = Convert.ToHexStringLower(SHA256.HashData(sheet))[..16];
        string parent = Path.Combine(Path.GetFullPath(cacheRoot), "digits");
        string target = Path.Combine(parent, hash);
        Directory.CreateDirectory(parent);
        RemoveStalePartials(parent, hash);
        if (Directory.Exists(target))
        {
            return target;
        }

        string partial = Path.Combine(parent, $"{hash}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Cut(sheet, partial);
            Directory.Move(partial, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another process finished the same cut first: use its folder.
        }
        finally
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }
        }

        return target;
    }

    /// <summary>Writes the 5000 digits of <paramref name="sheet"/> as <c>folder/&lt;digit&gt;/&lt;row&gt;-&lt;column&gt;.png</c>.</summary>
    public static void Cut(byte[] sheet, string folder)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        using Mat image = Cv2.ImDecode(sheet, ImreadModes.Grayscale);
        if (image.Empty() || image.Width != Columns * CellSize || image.Height != Rows * CellSize)
        {
            throw new InvalidDataException($"The digits sheet must be a {Columns * CellSize}x{Rows * CellSize} image, was {image.Width}x{image.Height}.");
        }

        for (int digit = 0; digit < Rows / RowsPerClass; digit++)
        {
            Directory.CreateDirectory(Path.Combine(folder, digit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Parallel.For(0, Rows, row =>
        {
            string classFolder = Path.Combine(folder, (row / RowsPerClass).ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (int column = 0; column < Columns; column++)
            {
                using Mat cell = new Mat(image, new Rect(column * CellSize, row * CellSize, CellSize, CellSize));
                Cv2.ImEncode(".png", cell, out byte[] png);
                File.WriteAllBytes(Path.Combine(classFolder, $"{row:D2}-{column:D2}.png"), png);
            }
        });
    }

    private static void RemoveStalePartials(string parent, string hash)
    {
        // Left by a run that was killed mid-cut; a live run's partial is younger than this.
        foreach (string stale in Directory.EnumerateDirectories(parent, hash + ".partial-*"))
        {
            try
            {
                if (Directory.GetCreationTimeUtc(stale) < DateTime.UtcNow.AddMinutes(-10))
                {
                    Directory.Delete(stale, recursive: true);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
