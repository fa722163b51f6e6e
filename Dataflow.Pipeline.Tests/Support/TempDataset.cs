using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Support;

/// <summary>A dataset of real image files written with OpenCV into a temporary folder, deleted on dispose.</summary>
internal sealed class TempDataset : IDisposable
{
    public TempDataset()
    {
        Root = Path.Combine(Path.GetTempPath(), "dataflow-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes a patterned BGR image (distinct per seed) to root/className/name and returns its path.</summary>
    public string AddImage(string className, string name, int width = 40, int height = 30, int seed = 0, int[]? encodeParams = null)
    {
        using Mat image = Pattern(width, height, seed);
        return Write(className, name, image, encodeParams);
    }

    /// <summary>Writes <paramref name="image"/> to root/className/name with OpenCV's encoder for the extension.</summary>
    public string Write(string className, string name, Mat image, int[]? encodeParams = null)
    {
        string path = Path.Combine(Root, className, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Cv2.ImEncode(Path.GetExtension(name), image, out byte[] bytes, encodeParams ?? []);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes a patterned image (distinct per seed) to root/relativePath with OpenCV's encoder for its extension.</summary>
    public string WriteImage(string relativePath, int width, int height, int seed)
    {
        using Mat image = Pattern(width, height, seed);
        return Write(Path.GetDirectoryName(relativePath)!, Path.GetFileName(relativePath), image);
    }

    /// <summary>Writes raw bytes to root/relativePath.</summary>
    public string WriteBytes(string relativePath, byte[] bytes)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Adds <paramref name="perClass"/> PNGs to each of <paramref name="classes"/>, each with its own pattern.</summary>
    public TempDataset WithClasses(int classes, int perClass, int width = 40, int height = 30, string extension = ".png")
    {
        int seed = 1;
        for (int c = 0; c < classes; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                AddImage($"class{c}", $"img{i:D3}{extension}", width, height, seed++);
            }
        }

        return this;
    }

    /// <summary>A BGR 8-bit image with gradients and seeded noise, so resizing and flipping change it visibly.</summary>
    public static Mat Pattern(int width, int height, int seed)
    {
        var image = new Mat(height, width, MatType.CV_8UC3);
        var random = new Random(seed);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image.Set(y, x, new Vec3b(
                    (byte)((x * 255 / Math.Max(1, width - 1) + seed * 37) % 256),
                    (byte)((y * 255 / Math.Max(1, height - 1) + seed * 11) % 256),
                    (byte)random.Next(256)));
            }
        }

        return image;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
