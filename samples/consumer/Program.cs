// Writes a small class-folder dataset, streams it through the packaged pipeline and checks every image arrived.
// Exit 0 when it did; 1 with the reason when it did not.
using System.Text.Json;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
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

    var options = new PipelineOptions { Width = 8, Height = 8, BatchSize = 4, Epochs = 1, Seed = 7 };
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
        }
    }

    // The app's dependency manifest says where the library came from: the package just packed, not a project.
    string depsFile = Path.Combine(AppContext.BaseDirectory, "PackageConsumer.deps.json");
    using (JsonDocument deps = JsonDocument.Parse(File.ReadAllBytes(depsFile)))
    {
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

    Console.WriteLine($"package consumer: {rows} images in {batches} batches through the Dataflow.Pipeline {expectedVersion} package");
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
