// Writes a small class-folder dataset, streams it through the packaged pipeline and checks every image arrived with
// its class and its pixels. Exit 0 when it did; 1 with the reason when it did not. Run as built (JIT) and as a native
// AOT executable (PublishAot): the library must work in both.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using OpenCvSharp;

string expectedVersion = args.Length > 0 ? args[0] : "0.1.0";
string root = Path.Combine(Path.GetTempPath(), "dataflow-consumer-" + Environment.ProcessId);
const int perClass = 5;
try
{
    string[] classes = ["circle", "square"];
    for (int c = 0; c < classes.Length; c++)
    {
        Directory.CreateDirectory(Path.Combine(root, classes[c]));
        for (int i = 0; i < perClass; i++)
        {
            using var image = new Mat(16, 16, MatType.CV_8UC3, Scalar.All(20 * i));
            if (c == 0)
            {
                Cv2.Circle(image, new Point(8, 8), 5, Scalar.White, -1);
            }
            else
            {
                Cv2.Rectangle(image, new Rect(3, 3, 10, 10), Scalar.White, -1);
            }

            Cv2.ImWrite(Path.Combine(root, classes[c], $"{i}.png"), image);
        }
    }

    var options = new PipelineOptions
    {
        Width = 8, Height = 8, BatchSize = 4, Epochs = 1, Seed = 7, Normalization = NormalizationOptions.None,
    };
    await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).BuildStream();
    pipeline.Post(root);
    pipeline.Complete();
    int rows = 0, batches = 0;
    await foreach (Batch batch in pipeline.ReadAllAsync())
    {
        using (batch)
        {
            rows += batch.Count;
            batches++;
            if (batch.Shape is not [_, 3, 8, 8])
            {
                return Fail($"batch {batch.Index} has shape [{string.Join(", ", batch.Shape)}], expected [n, 3, 8, 8]");
            }

            for (int row = 0; row < batch.Count; row++)
            {
                // The label is the class folder the file is in; the shape's centre is white and the image's corner
                // is the background's grey (20 * i, i from the file name), in every channel.
                string path = batch.Paths[row];
                string folder = Path.GetFileName(Path.GetDirectoryName(path))!;
                if (batch.ClassNames[batch.Labels[row]] != folder)
                {
                    return Fail($"{path} has label {batch.Labels[row]} ({batch.ClassNames[batch.Labels[row]]}), expected {folder}");
                }

                float background = 20 * int.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);
                ReadOnlySpan<float> image = batch.Data.Slice(row * 3 * 64, 3 * 64);
                for (int channel = 0; channel < 3; channel++)
                {
                    float centre = image[channel * 64 + 4 * 8 + 4], corner = image[channel * 64];
                    if (centre != 255f || corner != background)
                    {
                        return Fail($"{path}, channel {channel}: centre {centre}, corner {corner}; expected 255 and {background}");
                    }
                }
            }
        }
    }

    // The app's dependency manifest says where the library came from: the package just packed, not a project. A
    // native AOT executable has no manifest: the version is checked by the build that restored it.
    if (RuntimeFeature.IsDynamicCodeSupported)
    {
        string depsFile = Path.Combine(AppContext.BaseDirectory, "PackageConsumer.deps.json");
        using JsonDocument deps = JsonDocument.Parse(File.ReadAllBytes(depsFile));
        string key = "Dataflow.Pipeline/" + expectedVersion;
        if (!deps.RootElement.GetProperty("libraries").TryGetProperty(key, out JsonElement entry)
            || entry.GetProperty("type").GetString() != "package")
        {
            return Fail($"{depsFile} has no package {key}: the library did not come from the packed package");
        }
    }

    if (rows != 2 * perClass || !pipeline.Report.CountsAddUp || pipeline.Report.Skipped.Count != 0)
    {
        return Fail($"{rows} of {2 * perClass} images batched: {pipeline.Report}");
    }

    string build = RuntimeFeature.IsDynamicCodeSupported ? "" : " (native AOT)";
    Console.WriteLine($"package consumer{build}: {rows} images in {batches} batches through the Dataflow.Pipeline {expectedVersion} package");
    return 0;
}
finally
{
    if (Directory.Exists(root))
    {
        Directory.Delete(root, recursive: true);
    }
}

static int Fail(string message)
{
    Console.Error.WriteLine("package consumer: " + message);
    return 1;
}
