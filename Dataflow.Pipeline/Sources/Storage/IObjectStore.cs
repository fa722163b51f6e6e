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

    /// <summary>The object's size, or null when it does not exist.</summary>
    Task<StoredObject?> TryGetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Reads up to <c>destination.Length</c> bytes of the object from <paramref name="offset"/>; returns how many were
    /// read (fewer only at the end of the object).
    /// </summary>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Opens a forward-only stream over the object from <paramref name="offset"/> to its end, read as it arrives.</summary>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    Task<Stream> OpenReadAsync(string key, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a forward-only stream over <paramref name="length"/> bytes of the object from <paramref name="offset"/> (one
    /// ranged request), read as it arrives; it may end sooner where the object does. The default opens
    /// <see cref="OpenReadAsync"/> and leaves the rest unread.
    /// </summary>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    Task<Stream> OpenRangeAsync(string key, long offset, long length, CancellationToken cancellationToken) => OpenReadAsync(key, offset, cancellationToken);
}
