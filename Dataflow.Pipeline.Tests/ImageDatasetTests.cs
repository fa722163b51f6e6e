using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests;

/// <summary>Train then validate each epoch through the real graph on real image files, as the README's loop does.</summary>
[TestClass]
public sealed class ImageDatasetTests
{
    private static PipelineOptions Options() => new()
    {
        Width = 12,
        Height = 10,
        BatchSize = 4,
        Epochs = 2,
        Seed = 3,
        ValidationSplit = 0.2,
        Augmentations = [new RandomResizedCrop(), new RandomHorizontalFlip()],
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 8),
    };

    [TestMethod]
    public async Task ReadEpochs_TrainThenValidateEachEpoch_TrainingIsTheSingleStreamAndValidationTheHeldOutPart()
    {
        using var data = new TempDataset().WithClasses(3, 10, 16, 12);
        (List<SeenBatch> training, _) = await PipelineRunner.RunAsync(Options(), data.Root);
        (List<SeenBatch> validation, _) = await PipelineRunner.RunAsync(
            Options() with { Subset = Subset.Validation, Augmentations = [], Shuffle = false, ShuffleWithinBatch = false, Epochs = 1 }, data.Root);
        var dataset = ImageDataset.FromFolder(data.Root, Options());

        var trained = new List<SeenBatch>();
        var order = new List<string>();
        await foreach (EpochBatches epoch in dataset.Training.ReadEpochsAsync())
        {
            await foreach (Batch batch in epoch)
            {
                trained.Add(SeenBatch.Copy(batch));
                order.Add($"train {batch.Epoch}");
            }

            var validated = new List<SeenBatch>();
            await foreach (Batch batch in dataset.Validation.ReadEpochAsync(epoch.Number))
            {
                validated.Add(SeenBatch.Copy(batch) with { Epoch = 0 });
                order.Add($"validate {batch.Epoch}");
            }

            PipelineRunner.AssertSameBatches(validation, validated, $"validation after epoch {epoch.Number}");
        }

        PipelineRunner.AssertSameBatches(training, trained, "training");
        CollectionAssert.AreEqual(
            new[] { "train 0", "validate 0", "train 1", "validate 1" }, order.Distinct().ToArray(), "each epoch is trained, then validated");
        string[] held = [.. validation.SelectMany(b => b.Paths)];
        Assert.HasCount(6, held, "a fifth of each class of 10");
        Assert.IsFalse(trained.SelectMany(b => b.Paths).Intersect(held).Any(), "no validation image is trained on");
        Assert.HasCount(24, trained.Where(b => b.Epoch == 0).SelectMany(b => b.Paths).Distinct());
    }

    [TestMethod]
    public void Loaders_OptionsDerivedFromTheTrainingOnes_ValidationWithoutAugmentationOrShuffle()
    {
        var dataset = new ImageDataset(["images"], Options() with { Subset = Subset.Validation, BatchAugmentations = [new MixUp(0.2)] });
        Assert.AreEqual(Subset.Training, dataset.Training.Options.Subset);
        Assert.HasCount(2, dataset.Training.Options.Augmentations);
        PipelineOptions v = dataset.Validation.Options;
        Assert.AreEqual((Subset.Validation, 0, 0, false, false), (v.Subset, v.Augmentations.Count, v.BatchAugmentations.Count, v.Shuffle, v.ShuffleWithinBatch));
        Assert.AreEqual((12, 10, 4, 3L, 0.2), (v.Width, v.Height, v.BatchSize, v.Seed, v.ValidationSplit));
    }

    [TestMethod]
    public void Validation_NoSplit_ThrowsNamingValidationSplit()
    {
        var dataset = ImageDataset.FromFolder("images", Options() with { ValidationSplit = 0 });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => dataset.Validation);
        Assert.AreEqual("This dataset holds nothing out for validation: \"ValidationSplit\" is 0. Set it above 0 and below 1 (0.2 holds out a fifth of each class).", e.Message);
    }
}
