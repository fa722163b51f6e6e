using System.Text;
using Amazon.Runtime;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Planning;
using Dataflow.Pipeline.Sources;
using Dataflow.Tools.Storage;

namespace Dataflow.Tools.Bench;

/// <summary>
/// The other forms of the class-folder dataset that the storage variants read, made before the clock starts: tar
/// shards packed once (kept under the temporary folder for later runs) and read from local disk, or uploaded with
/// the class folders into s3rver or Azurite started on loopback for the run. Shards are read as streams in
/// <see cref="ShardShufflePlanner"/> order with a buffer of <see cref="BenchSettings.ShuffleBuffer"/> samples, which is also
/// what the stream may hold (<see cref="ShardSourceOptions.MaxSamplesHeld"/>).
/// </summary>
internal sealed class BenchDataset : IDisposable
{
    /// <summary>The variants that read a form made here: shards on local disk, shards or class folders in s3rver or Azurite.</summary>
    public static readonly IReadOnlyList<string> Variants = ["shards-local", "shards-s3", "shards-azure", "objects-s3", "objects-azure", "parquet-local", "tfrecord-local"];

    /// <summary>The shards' target size.</summary>
    public const long ShardBytes = 16L << 20;

    private readonly ServerProcess? _server;

    private BenchDataset(string root, ISampleSource source, IEpochPlanner? planner, ServerProcess? server)
    {
        Root = root;
        Source = source;
        Planner = planner;
        _server = server;
    }

    /// <summary>What the pipeline is posted.</summary>
    public string Root { get; }

    /// <summary>The source that reads it.</summary>
    public ISampleSource Source { get; }

    /// <summary>The planner, or null for the pipeline's own.</summary>
    public IEpochPlanner? Planner { get; }

    /// <summary>Makes the form <paramref name="variant"/> reads of the class folders at <paramref name="data"/>.</summary>
    /// <param name="bytesInFlightMiB">The stores' <see cref="StorageOptions.MaxBytesInFlight"/> in MiB, or null for the default.</param>
    public static BenchDataset Prepare(string variant, string data, int shuffleBuffer, int? bytesInFlightMiB, PipelineOptions options)
    {
        long bytesInFlight = bytesInFlightMiB is int mib ? (long)mib << 20 : StorageOptions.Default.MaxBytesInFlight;
        if (variant is "parquet-local" or "tfrecord-local")
        {
            // The published formats, read as the shards are: their units (row groups, files) through the same shuffle buffer.
            var storage = new StorageOptions { MaxBytesInFlight = bytesInFlight };
            return variant == "parquet-local"
                ? new BenchDataset(BenchFormats.Parquet(data), new ParquetSampleSource(new ParquetSourceOptions { Storage = storage }), ShardShufflePlanner.For(options, shuffleBuffer), null)
                : new BenchDataset(BenchFormats.TFRecord(data), new TFRecordSampleSource(new TFRecordSourceOptions { Storage = storage }), ShardShufflePlanner.For(options, shuffleBuffer), null);
        }

        bool shards = variant.StartsWith("shards-", StringComparison.Ordinal);
        string local = shards ? PackedShards(data) : Path.GetFullPath(data);
        IEpochPlanner? planner = shards ? ShardShufflePlanner.For(options, shuffleBuffer) : null;
        string server = variant[(variant.IndexOf('-', StringComparison.Ordinal) + 1)..];
        if (server == "local")
        {
            return new BenchDataset(local, ShardSource(new StorageOptions { MaxBytesInFlight = bytesInFlight }, shuffleBuffer), planner, null);
        }

        string prefix = shards ? "shards/" : "folders/";
        ServerProcess process = server == "s3" ? LocalStorageServers.StartS3rver() : LocalStorageServers.StartAzurite();
        try
        {
            string endpoint = $"http://127.0.0.1:{process.Port}";
            StorageOptions storage;
            if (server == "s3")
            {
                using var client = LocalStorageServers.S3Client(endpoint);
                client.PutBucketAsync(LocalStorageServers.Container).GetAwaiter().GetResult();
                LocalStorageServers.UploadS3Async(client, local, prefix).GetAwaiter().GetResult();
                storage = new StorageOptions { S3ServiceUrl = endpoint, S3AccessKeyId = LocalStorageServers.S3AccessKey, S3SecretAccessKey = LocalStorageServers.S3SecretKey, MaxBytesInFlight = bytesInFlight };
            }
            else
            {
                string connection = LocalStorageServers.AzuriteConnectionString(endpoint);
                new Azure.Storage.Blobs.BlobContainerClient(connection, LocalStorageServers.Container).CreateIfNotExists();
                LocalStorageServers.UploadAzureAsync(connection, local, prefix).GetAwaiter().GetResult();
                storage = new StorageOptions { AzureConnectionString = connection, MaxBytesInFlight = bytesInFlight };
            }

            string root = $"{(server == "s3" ? "s3" : "az")}://{LocalStorageServers.Container}/{prefix.TrimEnd('/')}";
            ISampleSource source = shards ? ShardSource(storage, shuffleBuffer) : new ObjectFolderSampleSource(storage);
            return new BenchDataset(root, source, planner, process);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the source and stops the server.</summary>
    public void Dispose()
    {
        (Source as IDisposable)?.Dispose();
        _server?.Dispose();
    }

    private static ShardSampleSource ShardSource(StorageOptions storage, int held) =>
        new(new ShardSourceOptions { Storage = storage, MaxSamplesHeld = held });

    /// <summary>The class folders at <paramref name="data"/> packed into shards, once per dataset path.</summary>
    private static string PackedShards(string data)
    {
        string full = Path.GetFullPath(data);
        // Named after the dataset's full path, spelled out: a hash of it would load the cryptography library into this
        // process before its peak memory is reset, and count it against the run.
        string spelled = full.Replace(Path.DirectorySeparatorChar, '_').Replace(Path.AltDirectorySeparatorChar, '_').Trim('_');
        string folder = Path.Combine(Path.GetTempPath(), "dataflow-bench", $"{spelled}-shards-{ShardBytes}");
        if (!File.Exists(Path.Combine(folder, ShardIndex.FileName)))
        {
            string partial = folder + ".partial";
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            ShardWriter.Pack([full], partial, new PackOptions { TargetShardBytes = ShardBytes });
            Directory.Move(partial, folder);
        }

        return folder;
    }
}
