namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A flat store of named objects (a local folder, an S3 bucket, an Azure Blob container) that the dataset
/// sources read from. Keys use <c>/</c> as the separator and are relative to the store's root.
/// </summary>
/// <remarks>
/// Implement it to read datasets from another store (HTTP, a database): the shard and object-folder sources
/// need only these members. Every member may be called concurrently. A missing object is reported with
/// <see cref="FileNotFoundException"/> naming it (<see cref="Describe"/>); transient faults are retried inside
/// the implementation, and what still fails surfaces as an <see cref="IOException"/> naming the object: a
/// <see cref="StoreUnavailableException"/> when the store itself is down (it ends the run whatever the error policy),
/// any other <see cref="IOException"/> when this object cannot be read (the sample's failure, under the policy).
/// </remarks>
public interface IObjectStore : IDisposable
{
    /// <summary>Where <paramref name="key"/> lives, for messages and sample ids (a path or a URL).</summary>
    string Describe(string key);

    /// <summary>Checks that the store can be reached with the credentials given (the bucket or container exists).</summary>
    /// <exception cref="IOException">The store cannot be reached or refuses the credentials; the message says which.</exception>
    Task CheckAccessAsync(CancellationToken cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in any order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a forward-only stream over the object from <paramref name="offset"/>: <paramref name="length"/> bytes (one
    /// ranged request), or to its end when <paramref name="length"/> is null; read as it arrives. It ends sooner where the
    /// object does (at once from an offset past its end).
    /// </summary>
    /// <remarks>The one way bytes are read: a sample (its offset and length), a row group, a shard's member range or a
    /// whole index or shard. A remote store asks for a body that breaks or stalls again from the byte it stopped at.</remarks>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="length"/> is negative.</exception>
    Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken);
}
