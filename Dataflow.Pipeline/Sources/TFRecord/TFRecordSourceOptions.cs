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
    /// The <c>image/object/class/label</c> value of the first class: a box's class is its label minus this. The TF Object
    /// Detection API numbers its label maps from 1 (0 is its background), so 1 by default; 0 for a writer that counts from 0.
    /// </summary>
    /// <value>1; 0 or more.</value>
    public int ObjectLabelBase { get; init; } = 1;

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
        checks.InRange(ObjectLabelBase, 0, int.MaxValue, nameof(ObjectLabelBase));
        checks.InRange(MaxRecordBytes, 1, Array.MaxLength - 16, nameof(MaxRecordBytes));
        Storage.Check(checks);
        checks.ThrowIfAny();
    }
}
