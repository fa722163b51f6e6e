namespace Dataflow.Pipeline.Targets;

/// <summary>
/// What one sample carries beside its image, in the source image's pixels: boxes, keypoints, masks, a set of classes, text.
/// Immutable; each kind is null when the sample has none of it.
/// </summary>
/// <remarks>
/// <para>Attached to the catalog entry (<see cref="Discovery.SampleInfo.Targets"/>) by the source; the dataset's
/// <see cref="TargetSchema"/> says which kinds its samples have and what their indices mean. The pipeline moves boxes,
/// keypoints and masks with every geometric transform of the image, and passes <see cref="Labels"/> and <see cref="Text"/>
/// through untouched.</para>
/// <para>Instance i of <see cref="Keypoints"/> and mask i of <see cref="InstanceMasks"/> belong to box i of <see cref="Boxes"/>
/// (their counts must agree: <see cref="TargetSchema.Check"/>).</para>
/// </remarks>
public sealed class SampleTargets
{
    private readonly IReadOnlyList<IMaskSource>? _instanceMasks;
    private readonly IReadOnlyList<int>? _labels;

    /// <summary>The image's boxes, or null.</summary>
    public BoundingBoxes? Boxes { get; init; }

    /// <summary>The image's keypoints (instance i is the object of box i when there are boxes), or null.</summary>
    public Keypoints? Keypoints { get; init; }

    /// <summary>The image's label map, made when the sample is read, or null.</summary>
    public IMaskSource? SemanticMask { get; init; }

    /// <summary>One mask per box (1 inside the object), made when the sample is read, or null.</summary>
    /// <value>A copy of the list given.</value>
    public IReadOnlyList<IMaskSource>? InstanceMasks
    {
        get => _instanceMasks;
        init => _instanceMasks = value is null ? null : [.. value];
    }

    /// <summary>The image's classes for multi-label training (indices into <see cref="TargetSchema.ClassNames"/>), or null.</summary>
    /// <value>A copy of the list given; the batch makes it a multi-hot row.</value>
    public IReadOnlyList<int>? Labels
    {
        get => _labels;
        init => _labels = value is null ? null : [.. value];
    }

    /// <summary>Text that goes with the image (a caption, JSON metadata), passed through untouched, or null.</summary>
    public string? Text { get; init; }

    /// <summary>The kinds this sample has.</summary>
    public TargetKinds Kinds =>
        (Boxes is null ? 0 : TargetKinds.Boxes)
        | (Keypoints is null ? 0 : TargetKinds.Keypoints)
        | (SemanticMask is null ? 0 : TargetKinds.SemanticMask)
        | (InstanceMasks is null ? 0 : TargetKinds.InstanceMasks)
        | (Labels is null ? 0 : TargetKinds.MultiLabel)
        | (Text is null ? 0 : TargetKinds.Text);

    /// <inheritdoc />
    public override string ToString() => $"targets ({Kinds})";
}
