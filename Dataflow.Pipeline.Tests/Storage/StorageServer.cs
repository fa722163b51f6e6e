using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>A real storage server run by the tests (s3rver or Azurite) with one bucket or container, <see cref="Container"/>.</summary>
internal abstract class StorageServer : IDisposable
{
    public const string Container = "data";

    protected StorageServer(ServerProcess process)
    {
        Process = process;
    }

    public ServerProcess Process { get; }

    /// <summary>The location of <paramref name="path"/> in the container, as posted to the pipeline.</summary>
    public abstract string Root(string path);

    /// <summary>A location in a bucket or container that does not exist.</summary>
    public abstract string MissingContainerRoot { get; }

    /// <summary>The library's options for this server; retries kept short so fault tests end quickly.</summary>
    public abstract StorageOptions Options(long maxBytesInFlight = 64L << 20, int retries = 2);

    /// <summary>Options whose credential the server refuses.</summary>
    public abstract StorageOptions WrongCredentials();

    public abstract Task CreateContainerAsync();

    /// <summary>Uploads every file under <paramref name="folder"/> to <paramref name="path"/> in the container.</summary>
    public abstract Task UploadFolderAsync(string folder, string path);

    public abstract Task DeleteAsync(string key);

    /// <summary>The bytes in flight a source's store recorded at its peak.</summary>
    public static long PeakBytesInFlight(IObjectStore store) => store switch
    {
        S3ObjectStore s3 => s3.PeakBytesInFlight,
        AzureBlobObjectStore azure => azure.PeakBytesInFlight,
        _ => throw new ArgumentException($"Not a remote store: {store}"),
    };

    public abstract void Dispose();
}
