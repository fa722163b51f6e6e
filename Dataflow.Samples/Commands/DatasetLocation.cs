using Dataflow.Samples.Data;

namespace Dataflow.Samples.Commands;

/// <summary>Where a command's dataset is: a user folder, or the embedded digits cut into the cache.</summary>
/// <param name="Root">The folder of class folders.</param>
/// <param name="IsEmbedded">True for the embedded digits.</param>
public sealed record DatasetLocation(string Root, bool IsEmbedded)
{
    /// <summary>How the dataset is named in output.</summary>
    public string DisplayName => IsEmbedded ? $"embedded digits ({Root})" : Root;

    /// <summary>The folder given with <c>--data</c>, or the embedded digits when <paramref name="data"/> is null.</summary>
    /// <exception cref="UsageException">The folder does not exist, or is a file.</exception>
    public static DatasetLocation Resolve(string? data, CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (data is null)
        {
            return new DatasetLocation(EmbeddedDigits.EnsureExtracted(environment.CacheRoot), IsEmbedded: true);
        }

        return new DatasetLocation(FolderOption.Require(data, "--data"), IsEmbedded: false);
    }
}
