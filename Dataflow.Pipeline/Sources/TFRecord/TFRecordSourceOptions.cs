using Dataflow.Pipeline.Internal;

namespace Dataflow.Pipeline.Sources;

/// <summary>Options of a <see cref="TFRecordSampleSource"/>.</summary>
public sealed class TFRecordSourceOptions
{
    /// <summary>How object storage is reached (local folders ignore it).</summary>
    public StorageOptions Storage { get; init; } = StorageOptions.Default;

    /// <summary>The features that may hold the encoded image (a bytes_list), the first present is read.</summary>
    /// <value><c>image/encoded</c> (tf.data and the TensorFlow model garden), then <c>image</c> (TFDS).</value>
    public IReadOnlyList<string> ImageFeatures { get; init; } = ["image/encoded", "image"];

    /// <summary>The features that may hold the class index (an int64_list), the first present is read.</summary>
    /// <value><c>image/class/label</c>, then <c>label</c> (TFDS).</value>
    public IReadOnlyList<string> LabelFeatures { get; init; } = ["image/class/label", "label"];

    /// <summary>The class names, indexed by label; null for <c>"0"</c>..<c>"N-1"</c>, N-1 the largest label.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// Records with more bytes are not read: discovery refuses the file naming the record (a TFRecord length is
    /// read before its data, so a damaged length could ask for anything).
    /// </summary>
    /// <value>268 435 456 (256 MiB, as <see cref="PipelineOptions.MaxFileBytes"/>); 1 to 2 147 483 575.</value>
    public long MaxRecordBytes { get; init; } = PipelineOptions.DefaultMaxFileBytes;

    /// <summary>Checks every value, and the storage options; one exception lists every failure.</summary>
    /// <exception cref="PipelineOptionsException">A value is out of range; one exception lists every failure, each naming the option, the allowed values and the value given.</exception>
    public void Validate()
    {
        var checks = new OptionChecks();
        checks.Add(nameof(ImageFeatures), ImageFeatures is null || ImageFeatures.Count == 0 || ImageFeatures.Any(string.IsNullOrEmpty) ? "Parameter \"ImageFeatures\" must name at least one feature, none empty." : null);
        checks.Add(nameof(LabelFeatures), LabelFeatures is null || LabelFeatures.Count == 0 || LabelFeatures.Any(string.IsNullOrEmpty) ? "Parameter \"LabelFeatures\" must name at least one feature, none empty." : null);
        checks.InRange(MaxRecordBytes, 1, Array.MaxLength - 16, nameof(MaxRecordBytes));
        Storage.Check(checks);
        checks.ThrowIfAny();
    }
}
