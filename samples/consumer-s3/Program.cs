// Uploads a small class-folder dataset to an S3-compatible server (args: endpoint, version), reads it back through
// the packaged pipeline with the S3 package's store, and checks that every image arrived once with its class. Exit 0
// when it did; 1 with the reason when it did not.
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Sources;
using OpenCvSharp;

string endpoint = args[0];
const string bucket = "consumer", accessKey = "S3RVER", secret = "S3RVER";
string[] classes = ["circle", "square"];
const int perClass = 5;
using var client = new AmazonS3Client(new BasicAWSCredentials(accessKey, secret), new AmazonS3Config
{
    ServiceURL = endpoint,
    ForcePathStyle = true,
    AuthenticationRegion = "us-east-1",
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
});
await client.PutBucketAsync(bucket);
for (int c = 0; c < classes.Length; c++)
{
    for (int i = 0; i < perClass; i++)
    {
        using var image = new Mat(16, 16, MatType.CV_8UC3, Scalar.All(20 * i));
        Cv2.Circle(image, new Point(8, 8), 2 + c * 3, Scalar.White, -1);
        Cv2.ImEncode(".png", image, out byte[] png);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"images/{classes[c]}/{i}.png", InputStream = new MemoryStream(png), UseChunkEncoding = false });
    }
}

S3Storage.Register();
var storage = new StorageOptions { S3ServiceUrl = endpoint, S3AccessKeyId = accessKey, S3SecretAccessKey = secret };
var options = new PipelineOptions { Width = 16, Height = 16, BatchSize = 4, Epochs = 1, Seed = 1 };
var seen = new List<(string Path, int Label)>();
ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).UseSource(new ObjectFolderSampleSource(storage)).Build(batch =>
{
    for (int row = 0; row < batch.Count; row++)
    {
        seen.Add((batch.Paths[row], batch.Labels[row]));
    }
});
pipeline.Post($"s3://{bucket}/images");
pipeline.Complete();
try
{
    await pipeline.Completion;
}
catch (Exception e)
{
    Console.Error.WriteLine($"package consumer (S3): the run failed: {e.Message}");
    return 1;
}

string[] expected = [.. classes.SelectMany(c => Enumerable.Range(0, perClass).Select(i => $"{c}/{i}.png")).Order(StringComparer.Ordinal)];
string[] got = [.. seen.Select(s => s.Path[(s.Path.IndexOf("/images/", StringComparison.Ordinal) + "/images/".Length)..]).Order(StringComparer.Ordinal)];
if (!expected.SequenceEqual(got))
{
    Console.Error.WriteLine($"package consumer (S3): expected {string.Join(", ", expected)}; got {string.Join(", ", got)}");
    return 1;
}

foreach ((string path, int label) in seen)
{
    if (!path.Contains($"/images/{classes[label]}/", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"package consumer (S3): {path} has label {label} ({classes[label]})");
        return 1;
    }
}

Console.WriteLine($"package consumer (S3): {seen.Count} images from s3://{bucket}/images in {pipeline.Report.Batches} batches through the Dataflow.Pipeline.S3 {args[1]} package");
return 0;
