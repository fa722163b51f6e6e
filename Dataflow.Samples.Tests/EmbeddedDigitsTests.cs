using System.Security.Cryptography;
using Dataflow.Samples.Data;
using OpenCvSharp;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class EmbeddedDigitsTests
{
    private static string FreshCacheRoot() => SampleRun.AbsentPath("digits-cache");

    [TestMethod]
    public void EnsureExtracted_FreshCache_CutsEveryDigitIntoItsClassFolder()
    {
        string cache = FreshCacheRoot();
        try
        {
            string root = EmbeddedDigits.EnsureExtracted(cache);

            using Mat sheet = Cv2.ImDecode(EmbeddedDigits.ReadSheet(), ImreadModes.Grayscale);
            for (int digit = 0; digit < 10; digit++)
            {
                Assert.HasCount(EmbeddedDigits.PerClass, Directory.GetFiles(Path.Combine(root, digit.ToString()), "*.png"));
            }

            // Every 7th cell: the file holds exactly the sheet's 20x20 cell, in the folder of its row's class.
            for (int cell = 0; cell < EmbeddedDigits.Count; cell += 7)
            {
                int row = cell / EmbeddedDigits.Columns, column = cell % EmbeddedDigits.Columns;
                string file = Path.Combine(root, (row / EmbeddedDigits.RowsPerClass).ToString(), $"{row:D2}-{column:D2}.png");
                using Mat digit = Cv2.ImRead(file, ImreadModes.Unchanged);
                using Mat expected = new(sheet, new Rect(column * 20, row * 20, 20, 20));
                Assert.AreEqual(1, digit.Channels());
                Assert.AreEqual(0.0, Cv2.Norm(expected, digit, NormTypes.INF), file);
            }

            Assert.IsEmpty(Directory.GetDirectories(Path.GetDirectoryName(root)!, "*.partial-*"));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [TestMethod]
    public void EnsureExtracted_SecondCall_ReusesTheFolder()
    {
        string first = EmbeddedDigits.EnsureExtracted(SampleRun.SharedCacheRoot);
        string sample = Path.Combine(first, "7", "35-00.png");
        DateTime written = File.GetLastWriteTimeUtc(sample);

        string second = EmbeddedDigits.EnsureExtracted(SampleRun.SharedCacheRoot);

        Assert.AreEqual(first, second);
        Assert.AreEqual(written, File.GetLastWriteTimeUtc(sample));
        Assert.AreEqual(HashPrefix(), Path.GetFileName(first));
    }

    [TestMethod]
    public void EnsureExtracted_StalePartialFromAKilledRun_IsRemoved()
    {
        string stale = Path.Combine(SampleRun.SharedCacheRoot, "digits", HashPrefix() + ".partial-1-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(stale, "3"));
        File.WriteAllBytes(Path.Combine(stale, "3", "half.png"), [1, 2]);
        Directory.SetCreationTimeUtc(stale, DateTime.UtcNow.AddHours(-1));

        string root = EmbeddedDigits.EnsureExtracted(SampleRun.SharedCacheRoot);

        Assert.IsFalse(Directory.Exists(stale));
        Assert.HasCount(EmbeddedDigits.PerClass, Directory.GetFiles(Path.Combine(root, "3")));
    }

    private static string HashPrefix() => Convert.ToHexStringLower(SHA256.HashData(EmbeddedDigits.ReadSheet()))[..16];
}
