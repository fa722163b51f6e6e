using Dataflow.Pipeline.Sources;
using Dataflow.Tools.Storage;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>A real storage server run by the tests (s3rver or Azurite) with one bucket or container, <see cref="Container"/>.</summary>
internal abstract class StorageServer : IDisposable
{
    public const string Container = LocalStorageServers.Container;

    protected StorageServer(ServerProcess process)
    {
        Process = process;
        _proxy = new Lazy<FaultProxy>(() => new FaultProxy(Endpoint), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private readonly Lazy<FaultProxy> _proxy;

    public ServerProcess Process { get; }

    /// <summary>True when the client library asks again for a body that broke part-way before the store sees the break (Azure's download stream does, up to five times).</summary>
    public virtual bool ClientReasksBrokenBodies => false;

    /// <summary>The server's address.</summary>
    public string Endpoint => $"http://127.0.0.1:{Process.Port}";

    /// <summary>A proxy in front of the server that can make chosen objects fail (started on first use).</summary>
    public FaultProxy Proxy => _proxy.Value;

    /// <summary>The library's options for reaching the server through <see cref="Proxy"/>.</summary>
    /// <remarks>No outage allowed unless <paramref name="maxOutage"/> says otherwise: a request that fails its retries ends the run at once.</remarks>
    public StorageOptions ProxiedOptions(int retries = 2, TimeSpan? readTimeout = null, TimeSpan? maxOutage = null, TimeSpan? requestTimeout = null) =>
        OptionsAt(Proxy.Endpoint, 64L << 20, retries, readTimeout ?? TimeSpan.FromSeconds(20), maxOutage ?? TimeSpan.Zero, requestTimeout ?? TimeSpan.FromSeconds(20));

    /// <summary>The location of <paramref name="path"/> in the container, as posted to the pipeline.</summary>
    public abstract string Root(string path);

    /// <summary>A location in a bucket or container that does not exist.</summary>
    public abstract string MissingContainerRoot { get; }

    /// <summary>The library's options for this server; retries kept short so fault tests end quickly.</summary>
    public StorageOptions Options(long maxBytesInFlight = 64L << 20, int retries = 2) => OptionsAt(Endpoint, maxBytesInFlight, retries, TimeSpan.FromSeconds(20), TimeSpan.Zero, TimeSpan.FromSeconds(20));

    /// <summary>The library's options for reaching the server at <paramref name="endpoint"/> (itself, or a proxy in front of it).</summary>
    protected abstract StorageOptions OptionsAt(string endpoint, long maxBytesInFlight, int retries, TimeSpan readTimeout, TimeSpan maxOutage, TimeSpan requestTimeout);

    /// <summary>
    /// Options that leave out what the store also reads from the environment (the endpoint, the connection string), and
    /// the variables that name it: the server is reached only when storage reads those variables.
    /// </summary>
    public abstract (StorageOptions Options, IReadOnlyDictionary<string, string> Variables) FromEnvironment();

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

    public virtual void Dispose()
    {
        if (_proxy.IsValueCreated)
        {
            _proxy.Value.Dispose();
        }
        Process.Dispose();
    }
}
