namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A remote store's read of a range into memory as one retried request: the request and the read of its body are one
/// try, so a body that stalls or breaks is asked for again from the range's start, on the store's retry schedule, and
/// the bytes count against <see cref="StorageOptions.MaxBytesInFlight"/>. What a sample's exact read uses
/// (<see cref="ObjectReads.ReadAsync"/>); a ranged <see cref="IObjectStore.OpenReadAsync"/> surfaces a break instead, for
/// the shard stream to reopen where it stopped.
/// </summary>
/// <remarks>Internal: the S3 and Azure stores implement it; another store is read through its ranged stream.</remarks>
internal interface IRangeReader
{
    /// <summary>Reads up to <c>destination.Length</c> bytes from <paramref name="offset"/>; fewer only where the object ends.</summary>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    ValueTask<int> ReadRangeAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken);
}
