using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests;

/// <summary>The loader's epochs, read through the real graph from real image files, against the single stream of every epoch.</summary>
[TestClass]
public sealed class ImageLoaderTests
{
    // 21 images in batches of 4: 6 batches per epoch, the last one short; random crops, flips and jitter, shuffled.
    private static PipelineOptions Options() => new()
    {
        Width = 12,
        Height = 10,
        BatchSize = 4,
        Epochs = 3,
        Seed = 7,
        Augmentations = [new RandomResizedCrop(), new RandomHorizontalFlip(), new ColorJitter(brightness: 0.3)],
        Read = new StageOptions(2, 4),
        Decode = new StageOptions(2, 8),
    };

    private static async Task<List<SeenBatch>> ReadAsync(IAsyncEnumerable<Batch> batches)
    {
        var seen = new List<SeenBatch>();
        await foreach (Batch batch in batches)
        {
            seen.Add(SeenBatch.Copy(batch));
        }

        return seen;
    }

    [TestMethod]
    public async Task ReadEpochsAsync_ThreeEpochs_EachEpochIsThatEpochOfTheSingleStream()
    {
        using var data = new TempDataset().WithClasses(3, 7, 16, 12);
        (List<SeenBatch> whole, _) = await PipelineRunner.RunAsync(Options(), data.Root);
        var loader = new ImageLoader([data.Root], Options());

        var numbers = new List<int>();
        await foreach (EpochBatches epoch in loader.ReadEpochsAsync())
        {
            numbers.Add(epoch.Number);
            List<SeenBatch> batches = await ReadAsync(epoch);
            PipelineRunner.AssertSameBatches([.. whole.Where(b => b.Epoch == epoch.Number)], batches, $"epoch {epoch.Number}");
            Assert.AreEqual(21 * (epoch.Number + 1), epoch.Report!.Batched, "the run's report, counted so far");
        }

        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, numbers);
        CollectionAssert.AreNotEqual(whole[0].Paths, whole[6].Paths, "each epoch has its own order");
    }

    [TestMethod]
    public async Task ReadEpochAsync_EachEpochAlone_EqualsThatEpochOfAFullRun()
    {
        using var data = new TempDataset().WithClasses(3, 7, 16, 12);
        (List<SeenBatch> whole, _) = await PipelineRunner.RunAsync(Options(), data.Root);
        var loader = new ImageLoader([data.Root], Options() with { Epochs = 1 });

        // A loader read per epoch, as a PyTorch loop builds its DataLoader: epoch 2, then 0, then 1.
        foreach (int epoch in new[] { 2, 0, 1 })
        {
            EpochBatches batches = loader.ReadEpochAsync(epoch);
            Assert.IsNull(batches.Report, "no pipeline before the loop starts");
            List<SeenBatch> seen = await ReadAsync(batches);
            PipelineRunner.AssertSameBatches([.. whole.Where(b => b.Epoch == epoch)], seen, $"epoch {epoch}");
            Assert.AreEqual(21, batches.Report!.Batched);
            Assert.IsTrue(batches.Report.CountsAddUp, batches.Report.ToString());
        }
    }

    [TestMethod]
    public async Task ReadEpochsAsync_FirstEpochOne_StartsAtThatEpochOfAFullRun()
    {
        using var data = new TempDataset().WithClasses(3, 7, 16, 12);
        (List<SeenBatch> whole, _) = await PipelineRunner.RunAsync(Options(), data.Root);
        var loader = new ImageLoader([data.Root], Options() with { FirstEpoch = 1 });

        var seen = new List<SeenBatch>();
        await foreach (EpochBatches epoch in loader.ReadEpochsAsync())
        {
            seen.AddRange(await ReadAsync(epoch));
        }

        PipelineRunner.AssertSameBatches(whole[6..], seen, "epochs 1 and 2");
    }

    [TestMethod]
    public async Task ReadEpochsAsync_EpochLeftPartlyOrWhollyUnread_NextEpochsAreIntact()
    {
        using var data = new TempDataset().WithClasses(3, 7, 16, 12);
        (List<SeenBatch> whole, _) = await PipelineRunner.RunAsync(Options(), data.Root);
        var loader = new ImageLoader([data.Root], Options());

        var seen = new List<SeenBatch>();
        await foreach (EpochBatches epoch in loader.ReadEpochsAsync())
        {
            if (epoch.Number == 0)
            {
                // Two batches of epoch 0, then on to the next: the rest of the epoch is read and disposed.
                await foreach (Batch batch in epoch)
                {
                    seen.Add(SeenBatch.Copy(batch));
                    if (seen.Count == 2)
                    {
                        break;
                    }
                }
            }
            else if (epoch.Number == 2)
            {
                seen.AddRange(await ReadAsync(epoch));
            }
        }

        PipelineRunner.AssertSameBatches([.. whole[..2], .. whole[12..]], seen, "two batches of epoch 0, none of 1, all of 2");
    }

    [TestMethod]
    public async Task GetAsyncEnumerator_EpochReadTwiceOrAfterTheLoopMovedOn_ThrowsNamingTheEpoch()
    {
        using var data = new TempDataset().WithClasses(2, 3, 16, 12);
        var loader = new ImageLoader([data.Root], Options() with { Epochs = 2 });
        EpochBatches? first = null;
        await foreach (EpochBatches epoch in loader.ReadEpochsAsync())
        {
            if (epoch.Number == 0)
            {
                first = epoch;
                await ReadAsync(epoch);
                var twice = Assert.ThrowsExactly<InvalidOperationException>(() => epoch.GetAsyncEnumerator());
                Assert.AreEqual("The batches of epoch 0 have already been read: an epoch is read once. Take the next epoch from ReadEpochsAsync, or this one again with ReadEpochAsync(0).", twice.Message);
            }
            else
            {
                var late = Assert.ThrowsExactly<InvalidOperationException>(() => first!.GetAsyncEnumerator());
                Assert.AreEqual("Epoch 0 has ended: the loop over ReadEpochsAsync moved to the next epoch. Read an epoch's batches inside the loop over epochs, or one epoch with ReadEpochAsync(0).", late.Message);
            }
        }
    }

    [TestMethod]
    public async Task ReadEpochAsync_BatchKeptPastItsStep_IsDisposedWhenTheLoopMovesOn()
    {
        using var data = new TempDataset().WithClasses(2, 5, 16, 12);
        var loader = new ImageLoader([data.Root], Options());
        var kept = new List<Batch>();
        await foreach (Batch batch in loader.ReadEpochAsync(0))
        {
            _ = batch.Data[0]; // valid inside its step
            kept.Add(batch);
        }

        Assert.HasCount(3, kept);
        foreach (Batch batch in kept)
        {
            Assert.ThrowsExactly<ObjectDisposedException>(() => batch.Data[0]);
        }
    }

    [TestMethod]
    public async Task ReadEpochAsync_MissingFolder_ThrowsFromTheLoopNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), "dataflow-tests", Guid.NewGuid().ToString("N"));
        var loader = new ImageLoader([missing], Options());
        var e = await Assert.ThrowsExactlyAsync<DirectoryNotFoundException>(() => ReadAsync(loader.ReadEpochAsync(0)));
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public void Constructor_NoRootOrABlankOne_ThrowsNamingIt()
    {
        var none = Assert.ThrowsExactly<ArgumentException>(() => new ImageLoader([], Options()));
        Assert.AreEqual("At least one root is needed: a folder of class folders, or what the configured source reads. (Parameter 'roots')", none.Message);
        var blank = Assert.ThrowsExactly<ArgumentException>(() => new ImageLoader(["images", " "], Options()));
        Assert.AreEqual("Root 1 is blank: each root names a folder (or what the configured source reads). (Parameter 'roots')", blank.Message);
        var options = Assert.ThrowsExactly<PipelineOptionsException>(() => new ImageLoader(["images"], Options() with { FirstEpoch = 3 }));
        Assert.AreEqual("FirstEpoch", options.ParamName);
        var epoch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageLoader(["images"], Options()).ReadEpochAsync(-1));
        Assert.AreEqual("epoch", epoch.ParamName);
    }
}
