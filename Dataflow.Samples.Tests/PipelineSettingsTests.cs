using Dataflow.Pipeline;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples.Tests;

[TestClass]
public sealed class PipelineSettingsTests
{
    private static readonly DatasetLocation Folder = new("/data", IsEmbedded: false);

    [TestMethod]
    public void For_NothingSet_TheLibrarysDefaults()
    {
        // What a command leaves unset is the library's choice, not a second copy of it.
        PipelineOptions options = new PipelineSettings { Dataset = Folder }.For(Subset.Training);

        Assert.AreEqual(new PipelineOptions(), options);
    }

    [TestMethod]
    public void For_ValidationOrEvaluation_NoAugmentationNoShuffleEveryRank()
    {
        var settings = new PipelineSettings
        {
            Dataset = Folder,
            Size = new ImageSize(20, 10),
            Color = ColorMode.Grayscale,
            ValidationSplit = 0.25,
            Augmentations = [new RandomHorizontalFlip()],
            Rank = 1,
            WorldSize = 2,
        };

        PipelineOptions training = settings.For(Subset.Training);
        PipelineOptions validation = settings.For(Subset.Validation);

        Assert.AreEqual((20, 10, ColorMode.Grayscale, 1, true, 1, 2), (training.Width, training.Height, training.ColorMode, training.Augmentations.Count, training.Shuffle, training.Rank, training.WorldSize));
        Assert.AreEqual(training with { Subset = Subset.Validation, Augmentations = [], Shuffle = false, ShuffleWithinBatch = false, Rank = 0, WorldSize = 1 }, validation);
    }
}
