namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A store kept failing (no answer, or a server error, after the retries) for longer than
/// <see cref="StorageOptions.MaxOutage"/>: a fault of the store, not of a sample. It ends the run whatever the
/// <see cref="ErrorPolicy"/>, and is not charged to the failure budget; the message names the store, how long it was
/// failing and the last error (its <see cref="Exception.InnerException"/>, a <see cref="StorageException"/>).
/// </summary>
public sealed class StoreUnavailableException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StoreUnavailableException(string store, string message, StorageException last)
        : base(message, last)
    {
        Store = store;
    }

    /// <summary>The store, as <c>'s3://bucket' at endpoint</c> or <c>'az://container' at account</c>.</summary>
    public string Store { get; }
}
