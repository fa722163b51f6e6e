namespace Dataflow.Pipeline.Sources;

/// <summary>One image file in a <see cref="FolderIndex"/>.</summary>
/// <param name="Path">The path relative to the dataset root, with <c>/</c> separators.</param>
/// <param name="Label">Class index into <see cref="FolderIndex.Classes"/>.</param>
/// <param name="Size">The file's size in bytes when indexed.</param>
public sealed record FolderIndexEntry(string Path, int Label, long Size);
