using Dataflow.Pipeline.Decoding;

namespace Dataflow.Pipeline.Augmentation;

/// <summary>What an augmentation knows about the image it transforms.</summary>
public sealed class AugmentationContext
{
    private const long TransformStream = Planning.RandomStreams.Augmentation;
    private const long SourceCropStream = Planning.RandomStreams.SourceCrop;

    /// <summary>Creates a context whose generator is keyed by (<paramref name="seed"/>, <paramref name="epoch"/>, <paramref name="sampleIndex"/>).</summary>
    /// <param name="seed">The pipeline's seed.</param>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="sampleIndex">The sample's index in the discovered dataset.</param>
    /// <param name="colorMode">The channel order of the images (colour transforms need it to compute luma).</param>
    public AugmentationContext(long seed, int epoch, int sampleIndex, ColorMode colorMode = ColorMode.Rgb)
        : this(seed, epoch, sampleIndex, colorMode, TransformStream)
    {
    }

    private AugmentationContext(long seed, int epoch, int sampleIndex, ColorMode colorMode, long stream)
    {
        Seed = seed;
        Epoch = epoch;
        SampleIndex = sampleIndex;
        ColorMode = colorMode;
        Random = new SampleRandom(seed, stream, epoch, sampleIndex);
    }

    /// <summary>
    /// The context the decode stage hands a fused <see cref="ISourceCropAugmentation"/>: keyed by the same
    /// (seed, epoch, sample index), on a stream of its own so that the crop's draws never repeat those of the
    /// transforms that run after it in the augment stage.
    /// </summary>
    public static AugmentationContext ForSourceCrop(long seed, int epoch, int sampleIndex, ColorMode colorMode = ColorMode.Rgb) =>
        new(seed, epoch, sampleIndex, colorMode, SourceCropStream);

    /// <summary>The pipeline's seed.</summary>
    public long Seed { get; }

    /// <summary>The epoch, from 0.</summary>
    public int Epoch { get; }

    /// <summary>The sample's index in the discovered dataset.</summary>
    public int SampleIndex { get; }

    /// <summary>The channel order of 3-channel images: <see cref="ColorMode.Rgb"/> or <see cref="ColorMode.Bgr"/> (1-channel images are gray whatever it says).</summary>
    public ColorMode ColorMode { get; }

    /// <summary>This image's own generator: the only source of randomness an augmentation may use.</summary>
    public SampleRandom Random { get; }

    /// <summary>The sample's targets, moved by <see cref="RecordGeometry"/>; null when the dataset has none.</summary>
    internal Targets.TargetState? Targets { get; init; }

    /// <summary>True when the sample has targets that follow the pixels: <see cref="RecordGeometry"/> then moves them.</summary>
    /// <remarks>An augmentation may skip computing its map when this is false; calling <see cref="RecordGeometry"/> anyway costs nothing.</remarks>
    public bool TracksGeometry => Targets is not null;

    /// <summary>
    /// Reports a geometric step just applied to the image: <paramref name="map"/> takes the input image's pixels to the output's,
    /// and the output is <paramref name="outputSize"/>. The sample's boxes, keypoints and masks move the same way.
    /// </summary>
    /// <remarks>An augmentation whose <see cref="IAugmentation.TargetBehavior"/> is <see cref="Pipeline.Targets.TargetBehavior.RecordsGeometry"/>
    /// calls this once for every change it makes to the pixels' places (none when it leaves the image as it is), in order.
    /// Coordinates are continuous (<see cref="Pipeline.Targets.Affine2D"/>); does nothing when the sample has no targets.</remarks>
    public void RecordGeometry(in Pipeline.Targets.Affine2D map, OpenCvSharp.Size outputSize) => Targets?.Apply(map, outputSize);

    /// <summary>Who holds which Mat in the run (null outside a pipeline): a combinator refuses a Mat another sample holds.</summary>
    internal Memory.ImageCounter? Images { get; init; }

    /// <summary>The sample being augmented (null outside a pipeline): a combinator claims each intermediate Mat for it.</summary>
    internal ImageSample? Sample { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"augmentation of sample #{SampleIndex}, epoch {Epoch}, seed {Seed}";
}
