namespace Dataflow.Pipeline.Sources;

/// <summary>A request to an object store failed after its retries; the message names the object and the status.</summary>
public sealed class StorageException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StorageException(string message, int status, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
    }

    /// <summary>The HTTP status the server answered, or 0 when there was no answer (connection refused or dropped, timeout).</summary>
    public int Status { get; }
}
