namespace Dataflow.Pipeline.Sources;

/// <summary>An object in an <see cref="IObjectStore"/>: its key and size in bytes.</summary>
public sealed record StoredObject(string Key, long Size);
