namespace Dataflow.Pipeline.Decoding;

/// <summary>An encoded image could not be turned into pixels; the message names the file, its size and the reason.</summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ImageDecodeException(string id, long length, string reason, Exception? inner = null)
        : base($"Cannot decode '{id}' ({length} bytes): {reason}", inner)
    {
        Id = id;
        Reason = reason;
    }

    /// <summary>The sample that failed.</summary>
    public string Id { get; }

    /// <summary>Why, in a few words.</summary>
    public string Reason { get; }
}
