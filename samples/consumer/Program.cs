// Writes a small class-folder dataset, streams it through the packaged pipeline, then packs it into tar shards and
// streams those, and checks that every image arrived each time with its class and its pixels. Exit 0 when it did; 1
// with the reason when it did not. Run as built (JIT) and as a native AOT executable (PublishAot): the library must
// work in both.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Sources;
using OpenCvSharp;

string expectedVersion = args.Length > 0 ? args[0] : "0.1.0";
string work = Path.Combine(Path.GetTempPath(), "dataflow-consumer-" + Environment.ProcessId);
string root = Path.Combine(work, "folders"), shards = Path.Combine(work, "shards");
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

    if (await CheckRunAsync("class folders", root, source: null) is string folderProblem)
    {
        return Fail(folderProblem);
    }

    // The same images as WebDataset-style tar shards with an index (System.Formats.Tar and the index's JSON, both of
    // which must also work without a JIT).
    ShardWriter.Pack([root], shards, new PackOptions { TargetShardBytes = 4096 });
    using (var shardSource = new ShardSampleSource())
    {
        if (await CheckRunAsync("shards", shards, shardSource) is string shardProblem)
        {
            return Fail(shardProblem);
        }
    }

    // The core package carries no cloud SDK and no Parquet library: s3:// asks for the S3 package by name, and no AWS,
    // Azure, MSAL or ParquetSharp assembly is in the app.
    try
    {
        StorageLocation.Open("s3://bucket/images").Store.Dispose();
        return Fail("s3:// opened without the Dataflow.Pipeline.S3 package");
    }
    catch (ArgumentException e) when (e.Message.Contains("Dataflow.Pipeline.S3", StringComparison.Ordinal) && e.Message.Contains("S3Storage.Register()", StringComparison.Ordinal))
    {
    }

    // A Parquet dataset, found by its name, asks for the Parquet package by name when its source is made.
    string parquet = Path.Combine(Path.GetTempPath(), $"consumer-{Environment.ProcessId}.parquet");
    File.WriteAllBytes(parquet, "PAR1"u8.ToArray());
    try
    {
        DatasetSource found = await DatasetSources.DetectAsync(parquet);
        (found.CreateSource() as IDisposable)?.Dispose();
        return Fail("a Parquet dataset was read without the Dataflow.Pipeline.Parquet package");
    }
    catch (InvalidOperationException e) when (e.Message.Contains("dotnet add package Dataflow.Pipeline.Parquet", StringComparison.Ordinal) && e.Message.Contains("ParquetDatasets.Register()", StringComparison.Ordinal))
    {
    }
    finally
    {
        File.Delete(parquet);
    }

    string[] cloud = [.. Directory.EnumerateFiles(AppContext.BaseDirectory)
        .Select(Path.GetFileName)
        .OfType<string>()
        .Where(f => f.StartsWith("AWSSDK.", StringComparison.Ordinal) || f.StartsWith("Azure.", StringComparison.Ordinal) || f.StartsWith("Microsoft.Identity", StringComparison.Ordinal)
            || f.StartsWith("ParquetSharp", StringComparison.Ordinal) || f.StartsWith("Apache.Arrow", StringComparison.Ordinal))];
    if (cloud.Length > 0)
    {
        return Fail($"the core package brought assemblies of the storage or Parquet packages: {string.Join(", ", cloud)}");
    }

    if (Directory.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes"))
        && Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "runtimes"), "ParquetSharpNative*", SearchOption.AllDirectories).Any())
    {
        return Fail("the core package brought ParquetSharp's native library");
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

    return 0;
}
finally
{
    if (Directory.Exists(work))
    {
        Directory.Delete(work, recursive: true);
    }
}

// Streams the dataset at `location` and checks every row; null when all is well, else the first problem.
async Task<string?> CheckRunAsync(string what, string location, ISampleSource? source)
{
    var options = new PipelineOptions
    {
        Width = 8, Height = 8, BatchSize = 4, Epochs = 1, Seed = 7, Normalization = NormalizationOptions.None,
    };
    ImagePipelineBuilder builder = ImagePipeline.CreateBuilder(options);
    if (source is not null)
    {
        builder.UseSource(source);
    }

    await using ImagePipeline pipeline = builder.BuildStream();
    pipeline.Post(location);
    pipeline.Complete();
    int rows = 0, batches = 0;
    var seen = new HashSet<string>(StringComparer.Ordinal);
    await foreach (Batch batch in pipeline.ReadAllAsync())
    {
        using (batch)
        {
            rows += batch.Count;
            batches++;
            if (batch.Shape is not [_, 3, 8, 8])
            {
                return $"{what}: batch {batch.Index} has shape [{string.Join(", ", batch.Shape)}], expected [n, 3, 8, 8]";
            }

            for (int row = 0; row < batch.Count; row++)
            {
                // The sample's path ends in its class folder and its file name (the shard member's key keeps both):
                // the label is that class; the shape's centre is white and the corner is the background's grey
                // (20 * i, i from the file name), in every channel.
                string[] parts = batch.Paths[row].Split('/', '\\');
                string folder = parts[^2], name = Path.GetFileNameWithoutExtension(parts[^1]);
                seen.Add(folder + "/" + name);
                if (batch.ClassNames[batch.Labels[row]] != folder)
                {
                    return $"{what}: {batch.Paths[row]} has label {batch.Labels[row]} ({batch.ClassNames[batch.Labels[row]]}), expected {folder}";
                }

                float background = 20 * int.Parse(name, System.Globalization.CultureInfo.InvariantCulture);
                ReadOnlySpan<float> image = batch.Data.Slice(row * 3 * 64, 3 * 64);
                for (int channel = 0; channel < 3; channel++)
                {
                    float centre = image[channel * 64 + 4 * 8 + 4], corner = image[channel * 64];
                    if (centre != 255f || corner != background)
                    {
                        return $"{what}: {batch.Paths[row]}, channel {channel}: centre {centre}, corner {corner}; expected 255 and {background}";
                    }
                }
            }
        }
    }

    if (rows != 2 * perClass || seen.Count != 2 * perClass || !pipeline.Report.CountsAddUp || pipeline.Report.Skipped.Count != 0)
    {
        return $"{what}: {rows} rows ({seen.Count} distinct images) of {2 * perClass} batched: {pipeline.Report}";
    }

    string build = RuntimeFeature.IsDynamicCodeSupported ? "" : " (native AOT)";
    Console.WriteLine($"package consumer{build}: {rows} images from {what} in {batches} batches through the Dataflow.Pipeline {expectedVersion} package");
    return null;
}

static int Fail(string message)
{
    Console.Error.WriteLine("package consumer: " + message);
    return 1;
}
