using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Discovery;

/// <summary>
/// Where samples come from: discovers a dataset from the roots posted to the pipeline and opens each
/// sample's encoded bytes. <see cref="FolderSampleSource"/> is the built-in one; an archive, a network
/// store or a database is another implementation of this interface.
/// </summary>
public interface ISampleSource
{
    /// <summary>Discovers the classes and samples under <paramref name="roots"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">A root (or a requested class) does not exist.</exception>
    /// <exception cref="InvalidDataException">A root holds no classes, or a class holds no samples.</exception>
    Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken);

    /// <summary>Reads one sample's encoded bytes into a buffer rented from <paramref name="pool"/>; the caller owns the result.</summary>
    /// <exception cref="IOException">The bytes cannot be read; the message names the sample.</exception>
    ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken);
}
