using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Targets;

namespace Dataflow.Samples.Data;

/// <summary>
/// The images of one folder (no classes, no annotations), as a dataset with boxes and none given: what a detector predicts
/// on. Each batch then carries each row's map back to its source image (<see cref="BatchTargets.Geometry"/>).
/// </summary>
/// <remarks>The files with an image extension (<see cref="FolderSampleSource.DefaultExtensions"/>) directly in the folder, in
/// ordinal order of their names; the files are read as the folder source reads them, with its guards.</remarks>
public sealed class ImageFileSource : ISampleSource
{
    private readonly IReadOnlyList<string> _classNames;
    private readonly FolderSampleSource _reader = new();

    /// <summary>Creates the source; <paramref name="classNames"/> are the detector's classes (the schema's).</summary>
    public ImageFileSource(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        _classNames = classNames;
    }

    /// <inheritdoc />
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no image file.</exception>
    public Task<SampleSet> DiscoverAsync(IReadOnlyList<string> roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var samples = new List<SampleInfo>();
        foreach (string root in roots)
        {
            if (!Directory.Exists(root))
            {
                throw new DirectoryNotFoundException($"The folder '{root}' does not exist.");
            }

            string[] files = [.. Directory.EnumerateFiles(root)
                .Where(f => FolderSampleSource.DefaultExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)];
            foreach (string file in files)
            {
                samples.Add(new SampleInfo(samples.Count, Path.GetFullPath(file), 0) { Targets = new SampleTargets() });
            }
        }

        if (samples.Count == 0)
        {
            throw new InvalidDataException($"'{string.Join("', '", roots)}' holds no image file ({string.Join(", ", FolderSampleSource.DefaultExtensions)}).");
        }

        return Task.FromResult(new SampleSet(_classNames, samples) { TargetSchema = new TargetSchema(TargetKinds.Boxes, _classNames) });
    }

    /// <inheritdoc />
    /// <remarks>As the folder source that reads the files: on the calling thread.</remarks>
    public bool ReadsOnCallingThread => _reader.ReadsOnCallingThread;

    /// <inheritdoc />
    public ValueTask<PooledBuffer> ReadAsync(SampleInfo sample, BufferPool pool, CancellationToken cancellationToken) =>
        _reader.ReadAsync(sample, pool, cancellationToken);
}
