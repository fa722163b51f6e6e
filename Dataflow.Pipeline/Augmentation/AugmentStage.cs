namespace Dataflow.Pipeline.Augmentation;

/// <summary>The augment stage: the list of augmentations in order, each drawing from the sample's own generator.</summary>
internal sealed class AugmentStage
{
    private readonly IReadOnlyList<IAugmentation> _augmentations;
    private readonly int _first;
    private readonly long _seed;
    private readonly Decoding.ColorMode _pixelOrder;

    /// <param name="augmentations">The transforms, in order.</param>
    /// <param name="skipFirst">The first one is a source crop already applied by the decode stage.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="pixelOrder">The channel order of the pixels the transforms see.</param>
    public AugmentStage(IReadOnlyList<IAugmentation> augmentations, bool skipFirst, long seed, Decoding.ColorMode pixelOrder)
    {
        _augmentations = augmentations;
        _first = skipFirst ? 1 : 0;
        _seed = seed;
        _pixelOrder = pixelOrder;
    }

    /// <summary>True when there is anything left for this stage to do.</summary>
    public bool HasWork => _augmentations.Count > _first;

    public void Augment(ImageSample sample)
    {
        var context = new AugmentationContext(_seed, sample.Epoch, sample.Info!.Index, _pixelOrder) { Images = sample.Images, Sample = sample, Targets = sample.TargetState };
        for (int i = _first; i < _augmentations.Count; i++)
        {
            // Refuses, naming the augmentation, a result that is null, disposed or another sample's image.
            sample.ReplaceImage(_augmentations[i].Apply(sample.Image!, context), _augmentations[i]);
        }
    }
}
