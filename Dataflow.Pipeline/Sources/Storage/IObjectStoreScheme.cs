namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Opens the dataset locations of one or more URL schemes (<c>s3://</c>; <c>az://</c> and <c>https://</c>) as a store
/// and a key prefix. The storage packages implement it (Dataflow.Pipeline.S3, Dataflow.Pipeline.Azure) and register it
/// with <see cref="ObjectStoreSchemes.Register"/>; implement it to read datasets from another store by its URLs.
/// </summary>
public interface IObjectStoreScheme
{
    /// <summary>The schemes it opens, in lower case without <c>://</c> (<c>"s3"</c>).</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>Opens <paramref name="location"/>, whose scheme is one of <see cref="Schemes"/>.</summary>
    /// <exception cref="ArgumentException">The location is malformed or lacks what the store needs (a bucket, credentials).</exception>
    StorageLocation Open(string location, StorageOptions options);
}
